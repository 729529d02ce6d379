using Onnx;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

public class ChannelDependencyGraphReduceTests
{
    private static readonly int[] Weak = [0, 3];

    /// <summary>
    /// conv (2 → 4, filters 0 and 3 zero) → Transpose to channels last [B, 6, 6, 4] → ReduceMean over
    /// <paramref name="axis"/> (keepdims 0) → MatMul (4 → 3) when the channels survive it.
    /// </summary>
    private static ModelProto BuildModel(int axis)
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4, zeroFilters: Weak);
        f.Op("Transpose", ["c1"], "t", ChannelFixtures.Ints("perm", 0, 2, 3, 1));
        f.Op("ReduceMean", ["t"], "m", ChannelFixtures.Ints("axes", axis), ChannelFixtures.Int("keepdims", 0));
        if (axis != 1) return f.Build("m", "batch", 6, 6);
        f.Initializer("w", [4, 3], TinyModels.RandomFloats(12, 5));
        f.Op("MatMul", ["m", "w"], "output");
        return f.Build("output", "batch", 6, 3);
    }

    [Fact]
    public void AReductionOverAnotherAxisKeepsTheChannelsOnTheirShiftedAxis()
    {
        var proto = BuildModel(axis: 1);
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["c1_conv"] = 2 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));
        Assert.Equal(2, Assert.Single(result.Groups).Kept);
        Assert.Equal([2L, 3], PruningAssert.Dims(result.Model, "w"));
        // The zero filters went: the output is unchanged.
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void AReductionOverTheChannelsLeavesTheGroupAlone()
    {
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1 };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(BuildModel(axis: 3)));
        var alone = Assert.Single(result.LeftAlone, g => g.Group == "c1_conv");
        Assert.Contains("ReduceMean m_reducemean reduces across the channels", alone.Reasons);
    }
}
