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
/// GroupNorm as PyTorch exports it (Reshape [0, G, −1] → InstanceNormalization → Reshape to Shape(x) → Mul γ → Add β),
/// a nearest Resize and a skip Concat (see <see cref="GroupNormUNetFixture"/>): the channels flow through all three, and
/// a group that reaches a GroupNorm loses whole runs of C/G channels.
/// </summary>
public class ChannelDependencyGraphGroupNormTests
{
    private static (OnnxModel Model, ChannelDependencyGraph Graph) Prepared(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto);
        new PromoteConstantsToInitializers().Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        return (model, ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First())));
    }

    private static ChannelGroup GroupOf(ChannelDependencyGraph graph, string conv) => Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == conv));

    private static float[] Run(byte[] model, int batch) =>
        MemoryMarshal.Cast<byte, float>(Assert.Single(OrtRunner.RunOnce(model, GroupNormUNetFixture.Input(batch))).Bytes).ToArray();

    [Fact]
    public void TheSkipConcatsInputsCountRunsOfTheGroupNormAndTheResizedConvCountsChannels()
    {
        var (_, graph) = Prepared(GroupNormUNetFixture.Build(GroupNormUNetFixture.All, GroupNormUNetFixture.All, GroupNormUNetFixture.All));
        var a = GroupOf(graph, "a_conv");
        var b = GroupOf(graph, "b_conv");
        var u = GroupOf(graph, "u_conv");
        Assert.All(new[] { a, b, u }, g => Assert.True(g.Prunable, string.Join("; ", g.LeftAloneReasons)));
        // a reaches only u (through the Resize): single channels. b and u meet the GroupNorm's runs of 8 / 4 = 2 channels.
        Assert.Equal((4, (int?)null), (a.Size, a.NormGroupChannels));
        Assert.Equal((2, (int?)2, 4), (b.Size, b.NormGroupChannels, b.Channels));
        Assert.Equal((2, (int?)2, 4), (u.Size, u.NormGroupChannels, u.Channels));
        Assert.Equal("4 channels (GroupNorm runs of 2)", u.Unit);
        // The output conv reads the Concat: u's runs at offset 0, b's after them (in runs).
        var outputReads = b.Consumers.Where(c => c.Node.Name == "y_conv").Concat(u.Consumers.Where(c => c.Node.Name == "y_conv")).ToList();
        Assert.Equal([(2, 2L), (0, 2L)], outputReads.Select(c => (c.Offset, c.Block)));
        Assert.False(GroupOf(graph, "y_conv").Prunable);
    }

    [Fact]
    public void RemovingARunOfTheSkipAndOfTheUpsampledPathAndAChannelBeforeTheResizeGivesTheModelBuiltWithoutThem()
    {
        var full = GroupNormUNetFixture.Build(GroupNormUNetFixture.All, GroupNormUNetFixture.All, GroupNormUNetFixture.All);
        var (model, graph) = Prepared(full.Clone());
        var keep = graph.Groups.Select(g => Enumerable.Range(0, g.Size).ToArray()).ToArray();
        keep[GroupOf(graph, "a_conv").Id] = [0, 2, 3];
        keep[GroupOf(graph, "b_conv").Id] = [1]; // b's channels 2, 3
        keep[GroupOf(graph, "u_conv").Id] = [0]; // u's channels 0, 1
        ChannelSurgery.Apply(model.Graph, graph, keep);
        model.Graph.RemoveUnusedInitializers();

        var byHand = GroupNormUNetFixture.Build(keepA: [0, 2, 3], keepB: [2, 3], keepU: [0, 1]);
        var expected = Run(TinyModels.Bytes(byHand), batch: 3);
        var actual = Run(model.ToByteArray(), batch: 3);
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(MathF.Abs(expected[k] - actual[k]) <= 1e-5f * (1 + MathF.Abs(expected[k])), $"element {k}: {expected[k]} vs {actual[k]}");
        // G went from 4 to 2 in the Reshape's shape, and the InstanceNormalization kept the scales of groups 0 and 3.
        var shapeTensor = model.Graph.FindInitializer(model.Graph.Nodes.Single(n => n.Name == "gn_reshape").Inputs[1])!;
        Assert.Equal([0L, 2, -1], shapeTensor.AsSpan<long>().ToArray());
        Assert.Equal([0.5f, 2f], model.Graph.FindInitializer("gn_scale")!.AsSpan<float>().ToArray());
        Assert.Equal([0.1f, 0.4f], model.Graph.FindInitializer("gn_bias")!.AsSpan<float>().ToArray());
    }

    [Fact]
    public void ThePrunerKeepsWholeRunsAndTheWrittenModelRunsAtAnyBatch()
    {
        var proto = GroupNormUNetFixture.Build(GroupNormUNetFixture.All, GroupNormUNetFixture.All, GroupNormUNetFixture.All);
        var options = new ChannelPruningOptions
        {
            Sparsity = 0,
            ChannelMultiple = 1,
            KeptChannels = new Dictionary<string, int> { ["a_conv"] = 3, ["b_conv"] = 2, ["u_conv"] = 2 },
        };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));
        Assert.Equal((4, 2), result.Groups.Where(g => g.Group.StartsWith("b_conv", StringComparison.Ordinal)).Select(g => (g.Channels, g.Kept)).Single());
        Assert.Equal((4, 2), result.Groups.Where(g => g.Group.StartsWith("u_conv", StringComparison.Ordinal)).Select(g => (g.Channels, g.Kept)).Single());
        Assert.True(result.MacsAfter < result.MacsBefore);
        var pruned = ModelProto.Parser.ParseFrom(result.Model.ToByteArray());
        var dims = pruned.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray());
        Assert.Equal([2L, 1, 3, 3], dims["b_W"]);
        Assert.Equal([3L, 2, 3, 3], dims["a_W"]);
        Assert.Equal([1L, 4, 3, 3], dims["y_W"]);
        Assert.Equal([2L], dims["gn_scale"]);
        Assert.Equal(5 * 64, Run(result.Model.ToByteArray(), batch: 5).Length);
    }

    [Fact]
    public void WithDataThePrunerRemovesTheRunWhoseChannelsAreDead()
    {
        // b's channels 2 and 3 (its second run) output zeros: the l1 ranking of the runs (the greedy selection leaves
        // convs that read runs to it) removes them, and the data pass (greedy on the other groups) copes with runs.
        int[] dead = [2, 3];
        var proto = GroupNormUNetFixture.Build(GroupNormUNetFixture.All, GroupNormUNetFixture.All, GroupNormUNetFixture.All, deadB: dead);
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, Samples = 32, KeptChannels = new Dictionary<string, int> { ["b_conv"] = 2 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()), inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), 32, seed: 4));
        var expected = GroupNormUNetFixture.Build(GroupNormUNetFixture.All, keepB: [0, 1], GroupNormUNetFixture.All, deadB: dead);
        var kept = ModelProto.Parser.ParseFrom(result.Model.ToByteArray()).Graph.Initializer.Single(t => t.Name == "b_W");
        Assert.Equal(expected.Graph.Initializer.Single(t => t.Name == "b_W").RawData, kept.RawData);
    }

    [Fact]
    public void KeepingACountThatSplitsARunIsRefusedNamingTheRun()
    {
        var proto = GroupNormUNetFixture.Build(GroupNormUNetFixture.All, GroupNormUNetFixture.All, GroupNormUNetFixture.All);
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["b_conv"] = 3 } };
        var error = Assert.Throws<ShrinkException>(() => new ChannelPruner(options).Prune(OnnxModel.FromProto(proto)));
        Assert.Contains("whole runs of 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunThatStraddlesTheConcatsInputsAndAResizeOfTheChannelAxisAreLeftAloneWithTheReason()
    {
        // p (3) and q (3) concatenated, GroupNorm with 3 groups: the run of channels 2, 3 holds one of each.
        var f = new ChannelFixtures();
        f.Conv("input", "p", 2, 3);
        f.Conv("input", "q", 2, 3);
        f.Op("Concat", ["p", "q"], "pq", ChannelFixtures.Int("axis", 1));
        f.Int64Initializer("gn_shape", [0, 3, -1]);
        f.Op("Reshape", ["pq", "gn_shape"], "grouped");
        f.Initializer("gn_scale", [3], [1, 1, 1]);
        f.Initializer("gn_bias", [3], [0, 0, 0]);
        f.Op("InstanceNormalization", ["grouped", "gn_scale", "gn_bias"], "normed");
        f.Op("Shape", ["pq"], "pq_shape");
        f.Op("Reshape", ["normed", "pq_shape"], "ungrouped");
        f.Conv("ungrouped", "m", 6, 4);
        f.Initializer("scales", [4], [1, 2, 1, 1]);
        f.Op("Resize", ["m", "", "scales"], "doubled", new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("nearest") });
        f.Conv("doubled", "out", 8, 2);
        var (_, graph) = Prepared(f.Build("out", "batch", 2, 6, 6));
        Assert.Contains(GroupOf(graph, "p_conv").LeftAloneReasons, r => r.Contains("straddle", StringComparison.Ordinal));
        Assert.Contains(GroupOf(graph, "q_conv").LeftAloneReasons, r => r.Contains("straddle", StringComparison.Ordinal));
        Assert.Contains(GroupOf(graph, "m_conv").LeftAloneReasons, r => r.Contains("resizes the channel axis", StringComparison.Ordinal));
    }
}
