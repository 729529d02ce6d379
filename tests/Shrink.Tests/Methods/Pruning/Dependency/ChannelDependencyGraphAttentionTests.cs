using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Dependency;

public class ChannelDependencyGraphAttentionTests
{
    private static ChannelDependencyGraph Build(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto.Clone());
        new PromoteConstantsToInitializers().Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var shapes = ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First());
        return ChannelDependencyGraph.Build(model, shapes);
    }

    [Theory]
    [InlineData(AttentionShapes.Constant, false)]
    [InlineData(AttentionShapes.Computed, false)]
    [InlineData(AttentionShapes.Constant, true)]
    [InlineData(AttentionShapes.Computed, true)]
    [InlineData(AttentionShapes.Sliced, true)]
    public void FindsOneGroupOfHeadsFromTheProjectionsToTheOutputProjection(AttentionShapes shapes, bool separate)
    {
        var graph = Build(AttentionFixtures.Block(heads: 2, headSize: 4, shapes, separate));
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.True(heads.Prunable, string.Join("; ", heads.LeftAloneReasons));
        Assert.Equal(2, heads.Size);
        Assert.Equal(4, heads.HeadSize);
        Assert.Equal("2 heads × 4", heads.Unit);
        Assert.Equal(separate ? 3 : 1, heads.Producers.Count); // q, k and v tie at the attention MatMuls
        Assert.All(heads.Producers, p => Assert.Equal(separate ? 1 : 3, p.Repeats));
        var consumer = Assert.Single(heads.Consumers);
        Assert.Equal("o_matmul", consumer.Node.Name);
        Assert.Equal(4, consumer.Block);
        // The head count in the reshape into heads, and H·dh in the reshape back, are rewritten.
        Assert.Equal(separate ? 4 : 2, graph.AttributeEdits.Count(e => e.Layout.Segments.Any(s => s.GroupId == heads.Id)));
    }

    [Fact]
    public void AMaskThatBroadcastsOverTheHeadsKeepsThemPrunableButOneThatDiffersPerHeadDoesNot()
    {
        var graph = Build(AttentionFixtures.Block(mask: true));
        Assert.True(Assert.Single(graph.Groups, g => g.HeadSize is not null).Prunable);

        // The mask made [B, 2, 1, T] (one row per head, untracked) by an Expand: the heads no longer meet the same values.
        var proto = AttentionFixtures.Block(mask: true);
        proto.Graph.Initializer.Add(TinyModels.RawTensor("per_head", TinyModels.Int64, [4], [.. new long[] { 1, 2, 1, 1 }.SelectMany(BitConverter.GetBytes)]));
        var add = proto.Graph.Node.Single(n => n.Name == "mask_add");
        add.Input[1] = "mask_per_head";
        proto.Graph.Node.Insert(proto.Graph.Node.IndexOf(add), TinyModels.Node("Expand", ["mask", "per_head"], ["mask_per_head"], "mask_expand"));
        var refused = Assert.Single(Build(proto).Groups, g => g.HeadSize is not null);
        Assert.Contains(refused.LeftAloneReasons, r => r.Contains("mask_per_head", StringComparison.Ordinal));
    }

    [Fact]
    public void AShapeThatReadsTheHeadCountLeavesThemAlone()
    {
        // The reshape back computes H·dh as Shape(context_t)[2] · dh: the head count is read, so it cannot be rewritten.
        var proto = AttentionFixtures.Block(shapes: AttentionShapes.Sliced);
        var concat = proto.Graph.Node.Single(n => n.Name == "merge_concat");
        proto.Graph.Initializer.Add(TinyModels.RawTensor("h_index", TinyModels.Int64, [1], BitConverter.GetBytes(2L)));
        proto.Graph.Initializer.Add(TinyModels.RawTensor("dh", TinyModels.Int64, [1], BitConverter.GetBytes(4L)));
        int at = proto.Graph.Node.IndexOf(concat);
        proto.Graph.Node.Insert(at, TinyModels.Node("Mul", ["merge_h", "dh"], ["merge_hd"], "merge_mul"));
        proto.Graph.Node.Insert(at, TinyModels.Node("Gather", ["merge_shape_of", "h_index"], ["merge_h"], "merge_gather"));
        concat.Input[1] = "merge_hd";
        var heads = Assert.Single(Build(proto).Groups, g => g.HeadSize is not null);
        Assert.False(heads.Prunable);
        Assert.Contains(heads.LeftAloneReasons, r => r.Contains("Shape merge_shape reads the channel count", StringComparison.Ordinal));
    }

    [Fact]
    public void SoftmaxAcrossTheHeadsLeavesThemAlone()
    {
        var proto = AttentionFixtures.Block();
        proto.Graph.Node.Single(n => n.OpType == "Softmax").Attribute.Single().I = 1;
        var graph = Build(proto);
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.False(heads.Prunable);
        Assert.Contains(heads.LeftAloneReasons, r => r.Contains("Softmax softmax normalizes across the channels", StringComparison.Ordinal));
    }

    [Fact]
    public void ComputedShapeWithoutAPieceForTheHeadsIsRefusedNamingTheConcat()
    {
        // The reshape back to [B, T, H·dh] as Concat(B, Slice(Shape(x), 1, 3)): the H·dh entry is inside a longer piece.
        var proto = AttentionFixtures.Block(shapes: AttentionShapes.Computed);
        var concat = proto.Graph.Node.Single(n => n.Name == "merge_concat");
        concat.Input.RemoveAt(2);
        concat.Input[1] = "merge_td";
        proto.Graph.Initializer.Add(TinyModels.RawTensor("merge_starts", TinyModels.Int64, [1], BitConverter.GetBytes(1L)));
        proto.Graph.Initializer.Add(TinyModels.RawTensor("merge_ends", TinyModels.Int64, [1], BitConverter.GetBytes(3L)));
        proto.Graph.Node.Insert(proto.Graph.Node.IndexOf(concat), TinyModels.Node("Slice", ["merge_shape_of", "merge_starts", "merge_ends"], ["merge_td"], "merge_slice"));
        var graph = Build(proto);
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.False(heads.Prunable);
        Assert.Contains(heads.LeftAloneReasons, r => r.Contains("merge_concat", StringComparison.Ordinal));
    }
}
