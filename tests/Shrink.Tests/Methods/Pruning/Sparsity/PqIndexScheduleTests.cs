using Shrink.Methods.Pruning.Sparsity;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

public sealed class PqIndexScheduleTests
{
    [Fact]
    public void Index_is_zero_for_flat_weights_high_for_concentrated_ones_and_scale_invariant()
    {
        var flat = Enumerable.Repeat(0.3f, 100).Select((v, i) => i % 2 == 0 ? v : -v).ToArray();
        Assert.Equal(0, PqIndexSchedule.Index(flat), 6);
        var peaked = new float[100];
        peaked[7] = 5f;
        peaked[50] = 0.01f;
        Assert.True(PqIndexSchedule.Index(peaked) > 0.9);
        var rng = new Random(3);
        var w = Enumerable.Range(0, 200).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        Assert.Equal(PqIndexSchedule.Index(w), PqIndexSchedule.Index(w.Select(v => 7.5f * v).ToArray()), 6);
    }

    [Fact]
    public void Rates_meet_the_overall_sparsity_and_prune_concentrated_layers_harder()
    {
        var rng = new Random(5);
        var dense = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        // Heavy-tailed: most mass in a few weights, so its PQ Index is higher.
        var heavy = Enumerable.Range(0, 1000).Select(_ => (float)Math.Pow(rng.NextDouble(), 8) * (rng.Next(2) * 2 - 1)).ToArray();
        var zeros = PqIndexSchedule.ZerosPerLayer([dense, heavy], 0.6);
        Assert.InRange(zeros.Sum(), 1195, 1205);
        Assert.True(zeros[1] > zeros[0], $"heavy-tailed layer lost {zeros[1]}, flat one {zeros[0]}");
        Assert.All(zeros, z => Assert.InRange(z, 0, 980));
    }
}
