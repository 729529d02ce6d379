using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

public class ChannelDependencyGraphSliceTests
{
    /// <summary>conv (2 → 4) → Slice 1..5 along <paramref name="axis"/> → conv (→ 3).</summary>
    private static ModelProto BuildModel(long axis)
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4);
        f.Op("Slice", ["c1", "starts", "ends", "axes"], "s1");
        f.Conv("s1", "output", axis == 1 ? 3 : 4, 3); // along the channels: 3 of the 4 are left
        var proto = f.Build("output", "batch", 3, 4, 6);
        foreach (var (name, value) in new[] { ("starts", 1L), ("ends", 5L), ("axes", axis) })
            proto.Graph.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [1], BitConverter.GetBytes(value)));
        return proto;
    }

    private static ChannelDependencyGraph Build(long axis)
    {
        var model = OnnxModel.FromProto(BuildModel(axis));
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        return ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-1)]
    public void SliceAlongAnotherAxisKeepsTheChannels(long axis)
    {
        var group = Assert.Single(Build(axis).Groups, g => g.Size == 4);
        Assert.True(group.Prunable, string.Join("; ", group.LeftAloneReasons));
        Assert.Equal("output_conv", Assert.Single(group.Consumers).Node.Name);

        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["c1_conv"] = 2 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(BuildModel(axis)));
        Assert.Equal(2, Assert.Single(result.Groups).Kept);
        PruningAssert.LoadsWithSameInterface(BuildModel(axis), result.Model, identical: false);
    }

    [Fact]
    public void SliceOfTheChannelAxisLeavesTheGroupAloneByName()
    {
        var group = Assert.Single(Build(axis: 1).Groups, g => g.Size == 4);
        Assert.False(group.Prunable);
        Assert.Contains("Slice s1_slice slices the channel axis 1", group.LeftAloneReasons);
    }
}
