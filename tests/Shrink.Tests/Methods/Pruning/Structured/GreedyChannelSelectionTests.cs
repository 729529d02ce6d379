using Shrink.Data;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class GreedyChannelSelectionTests
{
    /// <summary>c1 (4 filters; filter 1 is twice filter 0, so its ReLU output is redundant) → Relu → Conv to 3 outputs.</summary>
    private static (global::Onnx.ModelProto Proto, float[] Weights) RedundantChannel()
    {
        var f = new ChannelFixtures();
        var w = TinyModels.RandomFloats(4 * 2 * 9, 11);
        var b = TinyModels.RandomFloats(4, 12);
        for (int i = 0; i < 18; i++) w[18 + i] = 2 * w[i];
        b[1] = 2 * b[0];
        f.Initializer("c1_W", [4, 2, 3, 3], w);
        f.Initializer("c1_B", [4], b);
        f.Op("Conv", ["input", "c1_W", "c1_B"], "c1", ChannelFixtures.Ints("kernel_shape", 3, 3), ChannelFixtures.Ints("pads", 1, 1, 1, 1));
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "output", 4, 3);
        return (f.Build("output", "batch", 3, 6, 6), w);
    }

    private static ChannelPruningResult Prune(global::Onnx.ModelProto proto, bool greedy) =>
        new ChannelPruner(new ChannelPruningOptions
        {
            Criterion = "l1",
            KeptChannels = new Dictionary<string, int> { ["c1"] = 3 },
            GreedySelection = greedy,
            Reconstruct = true,
            Samples = 64,
            BatchSize = 16,
        }).Prune(OnnxModel.FromProto(proto.Clone()), inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), 64));

    /// <summary>The original filters that survived, matched by their first weight.</summary>
    private static int[] Survivors(ChannelPruningResult result, float[] original)
    {
        var pruned = result.Model.Graph.FindInitializer("c1_W")!.ToFloatArray();
        return Enumerable.Range(0, pruned.Length / 18).Select(k => Enumerable.Range(0, 4).Single(c => original[c * 18] == pruned[k * 18])).ToArray();
    }

    [Fact]
    public void GreedySelectionDropsTheRedundantChannelThatL1Keeps()
    {
        var (proto, w) = RedundantChannel();
        var greedy = Prune(proto, greedy: true);
        Assert.Equal(3, Assert.Single(greedy.Groups).Kept);
        var kept = Survivors(greedy, w);
        Assert.False(kept.Contains(0) && kept.Contains(1), $"kept {string.Join(",", kept)}");
        // The consumer's refit absorbs the removed duplicate (relu(2x) = 2·relu(x)) almost exactly.
        var refit = Assert.Single(greedy.Refits, r => r.Node.Contains("output", StringComparison.Ordinal));
        Assert.True(refit.RelativeErrorAfter < 1e-3, $"error {refit.RelativeErrorAfter}");

        // The largest-norm filters include the doubled one and its original: L1 alone keeps both.
        var byScore = Survivors(Prune(proto, greedy: false), w);
        Assert.Contains(1, byScore);
        PruningAssert.LoadsWithSameInterface(proto, greedy.Model, identical: false);
    }

    [Fact]
    public void KeptChannelsFixesTheCountAndUnknownNamesThrow()
    {
        var (proto, _) = RedundantChannel();
        Assert.Equal(3, Assert.Single(Prune(proto, greedy: true).Groups).Kept);
        var bad = new ChannelPruner(new ChannelPruningOptions { KeptChannels = new Dictionary<string, int> { ["nope"] = 2 } });
        Assert.Throws<ShrinkException>(() => bad.Prune(OnnxModel.FromProto(proto.Clone())));
        var tooMany = new ChannelPruner(new ChannelPruningOptions { KeptChannels = new Dictionary<string, int> { ["c1"] = 5 } });
        Assert.Throws<ShrinkException>(() => tooMany.Prune(OnnxModel.FromProto(proto.Clone())));
    }
}
