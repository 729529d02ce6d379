using System.Runtime.InteropServices;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

/// <summary>
/// The ONNX GroupNormalization op (opset 18: scale and bias per group; opset 21: per channel): channels pass through it
/// and go in whole groups, num_groups and the scale and bias cut with them.
/// </summary>
public class ChannelDependencyGraphGroupNormalizationTests
{
    private const int Channels = 8, Groups = 4;

    // input [batch,2,6,6] → Conv a 2→8 → GroupNormalization (4 groups of 2) → Relu → Conv y 8→3 → out [batch,3,6,6].
    // zeroA: a's filters (weights and bias) set to zero; zeroBias: the GroupNormalization biases set to zero.
    private static ModelProto Build(int opset, int[]? zeroA = null, int[]? zeroBias = null)
    {
        var f = new ChannelFixtures();
        f.Conv("input", "a", 2, Channels, zeroFilters: zeroA);
        int parameters = opset >= 21 ? Channels : Groups;
        f.Initializer("gn_scale", [parameters], [.. Enumerable.Range(0, parameters).Select(i => 0.5f + 0.25f * i)]);
        var bias = Enumerable.Range(0, parameters).Select(i => 0.1f * (i + 1)).ToArray();
        foreach (int i in zeroBias ?? []) bias[i] = 0;
        f.Initializer("gn_bias", [parameters], bias);
        f.Op("GroupNormalization", ["a", "gn_scale", "gn_bias"], "normed", ChannelFixtures.Int("num_groups", Groups));
        f.Op("Relu", ["normed"], "r");
        f.Conv("r", "y", Channels, 3);
        var proto = f.Build("y", "batch", 3, 6, 6);
        proto.OpsetImport.Single(o => o.Domain.Length == 0).Version = opset;
        proto.IrVersion = opset >= 21 ? 10 : 8;
        return proto;
    }

    private static (OnnxModel Model, ChannelDependencyGraph Graph) Prepared(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto);
        new PromoteConstantsToInitializers().Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        return (model, ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First())));
    }

    private static ChannelGroup GroupOf(ChannelDependencyGraph graph, string conv) => Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == conv));

    private static float[] Run(byte[] model, int batch)
    {
        var x = TinyModels.FloatTensor("input", [batch, 2, 6, 6], TinyModels.RandomFloats(batch * 72, 5));
        return MemoryMarshal.Cast<byte, float>(Assert.Single(OrtRunner.RunOnce(model, new Dictionary<string, TensorProto> { ["input"] = x })).Bytes).ToArray();
    }

    [Theory]
    [InlineData(18)]
    [InlineData(21)]
    public void The_conv_before_a_GroupNormalization_counts_its_groups_of_channels(int opset)
    {
        var (_, graph) = Prepared(Build(opset));
        var a = GroupOf(graph, "a_conv");
        Assert.True(a.Prunable, string.Join("; ", a.LeftAloneReasons));
        Assert.Equal((4, (int?)2, 8), (a.Size, a.NormGroupChannels, a.Channels));
        Assert.Equal("8 channels (GroupNorm runs of 2)", a.Unit);
        // y reads a's channels in runs of 2.
        Assert.Equal(2L, Assert.Single(a.Consumers, c => c.Node.Name == "y_conv").Block);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(21)]
    public void Removing_two_groups_equals_the_model_with_those_channels_and_their_biases_zeroed(int opset)
    {
        var (model, graph) = Prepared(Build(opset));
        var keep = graph.Groups.Select(g => Enumerable.Range(0, g.Size).ToArray()).ToArray();
        keep[GroupOf(graph, "a_conv").Id] = [0, 3]; // channels 0, 1, 6, 7
        ChannelSurgery.Apply(model.Graph, graph, keep);
        model.Graph.RemoveUnusedInitializers();

        // A group whose channels are all zero normalizes to 0 (0 / √ε) and, with β = 0, adds nothing to y: the same as removing it.
        int[] removed = [2, 3, 4, 5];
        var zeroed = Build(opset, zeroA: removed, zeroBias: opset >= 21 ? removed : [1, 2]);
        var expected = Run(TinyModels.Bytes(zeroed), batch: 3);
        var actual = Run(model.ToByteArray(), batch: 3);
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(MathF.Abs(expected[k] - actual[k]) <= 1e-4f * (1 + MathF.Abs(expected[k])), $"element {k}: {expected[k]} vs {actual[k]}");

        var norm = model.Graph.Nodes.Single(n => n.OpType == "GroupNormalization");
        Assert.Equal(2, norm.GetInt("num_groups", 0));
        float[] scale = opset >= 21 ? [0.5f, 0.75f, 2f, 2.25f] : [0.5f, 1.25f];
        Assert.Equal(scale, model.Graph.FindInitializer("gn_scale")!.AsSpan<float>().ToArray());
        Assert.Equal([4L, 2, 3, 3], model.Graph.FindInitializer("a_W")!.Dims);
        Assert.Equal([3L, 4, 3, 3], model.Graph.FindInitializer("y_W")!.Dims);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(21)]
    public void The_pruner_keeps_whole_groups_and_refuses_a_count_that_splits_one(int opset)
    {
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["a_conv"] = 4 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(Build(opset)));
        Assert.Equal((8, 4), result.Groups.Where(g => g.Group.StartsWith("a_conv", StringComparison.Ordinal)).Select(g => (g.Channels, g.Kept)).Single());
        Assert.Equal(2, result.Model.Graph.Nodes.Single(n => n.OpType == "GroupNormalization").GetInt("num_groups", 0));
        Assert.Equal(5 * 3 * 36, Run(result.Model.ToByteArray(), batch: 5).Length);

        var odd = options with { KeptChannels = new Dictionary<string, int> { ["a_conv"] = 3 } };
        var error = Assert.Throws<ShrinkException>(() => new ChannelPruner(odd).Prune(OnnxModel.FromProto(Build(opset))));
        Assert.Contains("whole runs of 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_computed_scale_leaves_the_channels_alone_with_the_reason()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "a", 2, Channels);
        f.Initializer("half", [Groups], [0.5f, 0.5f, 0.5f, 0.5f]);
        f.Initializer("gn_bias", [Groups], [0, 0, 0, 0]);
        f.Op("Add", ["half", "half"], "gn_scale");
        f.Op("GroupNormalization", ["a", "gn_scale", "gn_bias"], "normed", ChannelFixtures.Int("num_groups", Groups));
        f.Conv("normed", "y", Channels, 3);
        var proto = f.Build("y", "batch", 3, 6, 6);
        proto.OpsetImport.Single(o => o.Domain.Length == 0).Version = 18;
        proto.IrVersion = 8;
        var model = OnnxModel.FromProto(proto);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var graph = ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
        Assert.Contains(GroupOf(graph, "a_conv").LeftAloneReasons, r => r.Contains("constant scale and bias", StringComparison.Ordinal));
    }
}
