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

/// <summary>The inner channels of a Mamba block (<see cref="MambaFixtures"/>): one group from in_proj's two chunks through the scan to out_proj.</summary>
public class ChannelDependencyGraphMambaTests
{
    private static readonly int[] Kept = [.. Enumerable.Range(0, MambaFixtures.Inner).Except(MambaFixtures.Weak)];

    private static ChannelDependencyGraph Build(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto);
        new PromoteConstantsToInitializers().Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        return ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
    }

    private static ChannelPruningResult PruneWeak(ModelProto proto)
    {
        var options = new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["xz"] = Kept.Length } };
        return new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));
    }

    private static float[] Run(byte[] model, int batch) =>
        MemoryMarshal.Cast<byte, float>(Assert.Single(OrtRunner.RunOnce(model, MambaFixtures.Input(batch))).Bytes).ToArray();

    [Fact]
    public void TheInnerChannelsAreOneGroupOfBothChunksTheConvTheScanAndDtProj()
    {
        var graph = Build(MambaFixtures.Block());
        var inner = Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == "xz"));
        Assert.True(inner.Prunable, string.Join("; ", inner.LeftAloneReasons));
        Assert.Equal(MambaFixtures.Inner, inner.Size);
        Assert.Null(inner.HeadSize);
        // in_proj's columns are two runs (x and z) of the same channels; dt_proj is tied to them by Δ·u.
        var inProj = Assert.Single(inner.Producers, p => p.Node.Name == "xz");
        Assert.Equal((1L, 2), (inProj.Block, inProj.Repeats));
        Assert.Contains(inner.Producers, p => p.Node.Name == "dt_mm");
        Assert.Equal(["dbc", "y"], inner.Consumers.Select(c => c.Node.Name).Order(StringComparer.Ordinal));
        // A_log (through Exp, Neg), D, the conv, dt_proj's bias and the scan state's shape follow the channels.
        var sliced = graph.Slices.Where(s => s.Layout.Segments.Any(x => x.GroupId == inner.Id)).Select(s => (s.Tensor, s.Axis)).ToHashSet();
        Assert.Superset(new HashSet<(string, int)> { ("A_log", 0), ("D", 0), ("conv_w", 0), ("conv_b", 0), ("dt_proj_b", 0), ("in_proj_w", 1) }, sliced);
        Assert.Contains(graph.AttributeEdits, e => e.Kind == ChannelAttributeKind.ShapeConcatInput && e.Node.Name == "h0_shape" && e.Index == 1);
        Assert.Contains(graph.AttributeEdits, e => e.Kind == ChannelAttributeKind.DepthwiseGroup);
        // x_proj's outputs are Δ, B and C, split: not inner channels, and left alone.
        var xProj = Assert.Single(graph.Groups, g => g.Producers.Any(p => p.Node.Name == "dbc"));
        Assert.Contains("Split dbc_split splits the channel axis", xProj.LeftAloneReasons);
    }

    [Fact]
    public void PruningTheWeakChannelsGivesTheBlockWithThemRemovedByHand()
    {
        var result = PruneWeak(MambaFixtures.Block());
        var decision = Assert.Single(result.Groups);
        Assert.Equal((MambaFixtures.Inner, Kept.Length), (decision.Channels, decision.Kept));
        Assert.Equal([MambaFixtures.Model, 2L * Kept.Length], PruningAssert.Dims(result.Model, "in_proj_w"));
        Assert.Equal([Kept.Length, MambaFixtures.State], PruningAssert.Dims(result.Model, "A_log"));

        // The pruned model equals the block built with only the kept channels' parameters, at a batch other than the probe's
        // (the scan state's shape takes the batch from the input and the kept count from the rewritten constant).
        var expected = Run(TinyModels.Bytes(MambaFixtures.Block(Kept)), batch: 3);
        var actual = Run(result.Model.ToByteArray(), batch: 3);
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(MathF.Abs(expected[k] - actual[k]) <= 1e-5f * (1 + MathF.Abs(expected[k])), $"element {k}: {expected[k]} vs {actual[k]}");
        // And it is not the unpruned block: the weak channels did contribute.
        var unpruned = Run(TinyModels.Bytes(MambaFixtures.Block()), batch: 3);
        Assert.Contains(Enumerable.Range(0, unpruned.Length), k => MathF.Abs(unpruned[k] - actual[k]) > 1e-4f);
    }

    [Fact]
    public void ChannelsThatReachNeitherXProjNorOutProjArePrunedWithoutChangingTheOutput()
    {
        var proto = MambaFixtures.Block(silenceWeak: true);
        var result = PruneWeak(proto);
        Assert.Equal(Kept.Length, Assert.Single(result.Groups).Kept);
        var expected = Run(TinyModels.Bytes(proto), batch: 2);
        var actual = Run(result.Model.ToByteArray(), batch: 2);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(MathF.Abs(expected[k] - actual[k]) <= 1e-5f * (1 + MathF.Abs(expected[k])), $"element {k}: {expected[k]} vs {actual[k]}");
    }
}
