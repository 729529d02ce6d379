using Shrink.Methods.Pruning.Sparsity;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

public sealed class LampCriterionTests
{
    [Fact]
    public void Scores_are_each_weights_share_of_the_energy_at_and_above_it_and_ignore_the_layers_scale()
    {
        float[] w = [0.5f, -2f, 1f, 0f];
        var s = new LampCriterion().Score(w, 1, 4, default);
        // Ascending squares 0, 0.25, 1, 4 (sum 5.25): 0/5.25, 0.25/5.25, 1/5, 4/4.
        Assert.Equal(0.25 / 5.25, s[0], 6);
        Assert.Equal(1, s[1], 6);
        Assert.Equal(1 / 5.0, s[2], 6);
        Assert.Equal(0, s[3], 6);
        var scaled = new LampCriterion().Score(w.Select(v => v * 1000).ToArray(), 1, 4, default);
        for (int i = 0; i < w.Length; i++) Assert.Equal(s[i], scaled[i], 5);
    }

    [Fact]
    public void A_layer_with_large_magnitudes_does_not_take_all_the_survivors()
    {
        // Two layers with the same weights up to a factor 100, as BatchNormalization folding leaves them.
        var rng = new Random(3);
        var small = Enumerable.Range(0, 400).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var large = Enumerable.Range(0, 400).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 100).ToArray();
        long zeros = 400; // 50% of all weights

        var byMagnitude = GlobalMagnitudeRanking.ZerosPerLayer([new MagnitudeCriterion().Score(small, 20, 20, default), new MagnitudeCriterion().Score(large, 20, 20, default)], zeros);
        Assert.True(byMagnitude[0] >= 390, $"{byMagnitude[0]} of 400"); // raw |w| all but empties the small layer

        var lamp = new LampCriterion();
        var byLamp = GlobalMagnitudeRanking.ZerosPerLayer([lamp.Score(small, 20, 20, default), lamp.Score(large, 20, 20, default)], zeros);
        Assert.Equal(zeros, byLamp.Sum());
        Assert.InRange(byLamp[0], 150, 250);
        Assert.InRange(byLamp[1], 150, 250);
    }
}
