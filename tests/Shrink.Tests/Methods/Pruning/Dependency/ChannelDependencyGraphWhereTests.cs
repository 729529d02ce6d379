using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

public class ChannelDependencyGraphWhereTests
{
    /// <summary>
    /// conv (2 → 4) → Where(mask, conv, −100) → conv (4 → 3), as masked_fill exports: the mask [B, 1, 6, 6] (input
    /// summed over its channels, &gt; 0), or with <paramref name="perChannelMask"/> [B, 4, 6, 6] from a second conv.
    /// </summary>
    private static ModelProto BuildModel(bool perChannelMask)
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4);
        if (perChannelMask) f.Conv("input", "m1", 2, 4);
        else f.Op("ReduceSum", ["input", "sum_axes"], "m1", ChannelFixtures.Int("keepdims", 1));
        f.Op("Greater", ["m1", "zero"], "mask");
        f.Op("Where", ["mask", "c1", "fill"], "w1");
        f.Conv("w1", "output", 4, 3);
        var proto = f.Build("output", "batch", 3, 4, 4);
        proto.Graph.Initializer.Add(TinyModels.RawTensor("sum_axes", (int)TensorProto.Types.DataType.Int64, [1], BitConverter.GetBytes(1L)));
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("zero", [], [0f]));
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("fill", [], [-100f]));
        return proto;
    }

    private static ChannelDependencyGraph Build(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        return ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
    }

    [Fact]
    public void WhereWithAMaskThatBroadcastsOverTheChannelsKeepsThem()
    {
        var group = Assert.Single(Build(BuildModel(perChannelMask: false)).Groups, g => g.Producers.Any(p => p.Node.Name == "c1_conv"));
        Assert.True(group.Prunable, string.Join("; ", group.LeftAloneReasons));
        Assert.Equal("output_conv", Assert.Single(group.Consumers).Node.Name);

        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["c1_conv"] = 2 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(BuildModel(perChannelMask: false)));
        Assert.Equal(2, Assert.Single(result.Groups).Kept);
        PruningAssert.LoadsWithSameInterface(BuildModel(perChannelMask: false), result.Model, identical: false);
    }

    [Fact]
    public void WhereWithAPerChannelMaskOfUntrackedChannelsLeavesTheGroupAlone()
    {
        var group = Assert.Single(Build(BuildModel(perChannelMask: true)).Groups, g => g.Producers.Any(p => p.Node.Name == "c1_conv"));
        Assert.False(group.Prunable);
        Assert.Contains("Where w1_where mixes the channels with 'mask', whose channels are not tracked", group.LeftAloneReasons);
    }
}
