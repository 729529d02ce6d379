using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Tests.Methods.Pruning;

namespace Shrink.Tests.Passes;

/// <summary>
/// The packed q/k/v rewrite on attention blocks torch.onnx wrote (tests/Shrink.Tests/Fixtures/Exports): the outputs stay
/// the same in ONNX Runtime, and the Split/Squeeze (or Gather) unpacking, the 5-D transpose and the score scale are gone.
/// </summary>
public sealed class SplitAttentionProjectionsTests
{
    [Theory]
    [InlineData("timm_unbind", 6)]
    [InlineData("timm_unbind_dynseq", 9)]
    [InlineData("timm_index_dynseq", 9)]
    public void Packed_projection_becomes_three_with_the_same_outputs(string name, int tokens)
    {
        var model = ExportFixtures.LoadPromoted(name);
        var x = ExportFixtures.Input(name, batch: 2, tokens: tokens)["x"];
        var result = PassTestKit.ApplyAndCompare(new SplitAttentionProjections(), model, 1e-5, x);

        Assert.Equal(1, result.Changes);
        Assert.Contains("split into three", result.Details[0], StringComparison.Ordinal);
        var nodes = model.Graph.Nodes;
        Assert.DoesNotContain(nodes, n => n.OpType is OpTypes.Split or OpTypes.Squeeze);
        Assert.DoesNotContain(nodes, n => n.OpType == OpTypes.Transpose && n.GetInts("perm")!.Count == 5);
        Assert.Equal(["/qkv/MatMul.k", "/qkv/MatMul.q", "/qkv/MatMul.v"], nodes.Where(n => n.Name.StartsWith("/qkv/MatMul.", StringComparison.Ordinal) && n.OpType == OpTypes.MatMul).Select(n => n.Name).Order());
        // The score product feeds the Softmax directly: the scale went onto the queries.
        var softmax = nodes.Single(n => n.OpType == OpTypes.Softmax);
        Assert.Equal(OpTypes.MatMul, model.Graph.Producer(softmax.Inputs[0])!.OpType);
    }

    [Fact]
    public void Constant_scale_is_folded_into_the_query_weights()
    {
        var model = ExportFixtures.LoadPromoted("timm_unbind");
        int mulsBefore = model.Graph.Nodes.Count(n => n.OpType == OpTypes.Mul);
        var result = new SplitAttentionProjections().Apply(model);
        Assert.Contains("folded into the query weights", result.Details[0], StringComparison.Ordinal);
        Assert.Equal(mulsBefore - 1, model.Graph.Nodes.Count(n => n.OpType == OpTypes.Mul));
    }

    [Fact]
    public void Scale_computed_from_shapes_is_folded_into_the_query_weights()
    {
        // (C // heads) ** -0.5 from x.shape: Shape → Gather → Div → Cast → Pow in the export, a constant 0.5 here.
        var model = ExportFixtures.LoadPromoted("packed_causal_attention");
        Assert.Contains(model.Graph.Nodes, n => n.OpType == OpTypes.Pow);
        var x = ExportFixtures.Input("packed_causal_attention", batch: 2, tokens: 9)["x"];
        var result = PassTestKit.ApplyAndCompare(new SplitAttentionProjections(), model, 1e-5, x);

        Assert.Contains("score scale folded into the query weights", result.Details.Single(), StringComparison.Ordinal);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == OpTypes.Pow);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == OpTypes.Mul);
    }

    [Fact]
    public void Scale_of_a_symbolic_dimension_moves_onto_the_queries()
    {
        // The same export with the scale computed from the token count (a symbol): not a constant, so it is multiplied
        // into the [B, S, H·D] query projection instead of the [B, H, S, S] scores.
        var model = ExportFixtures.LoadPromoted("packed_causal_attention");
        var graph = model.Graph;
        var pow = graph.Nodes.Single(n => n.OpType == OpTypes.Pow);
        var tokens = graph.Nodes.First(n => n.OpType == OpTypes.Gather && graph.Producer(n.Inputs[0])?.OpType == OpTypes.Shape
            && graph.FindInitializer(n.Inputs[1])!.AsSpan<long>()[0] == 1);
        string count = graph.UniqueName("tokens_as_float");
        graph.AddNodeBefore(pow, OpTypes.Cast, [tokens.Outputs[0]], [count]).SetInt("to", (long)ElementType.Float);
        graph.SetInput(pow, 0, count);
        var x = ExportFixtures.Input("packed_causal_attention", batch: 2, tokens: 8)["x"];
        var result = PassTestKit.ApplyAndCompare(new SplitAttentionProjections(), model, 1e-5, x);

        Assert.Contains("score scale moved onto the queries", result.Details.Single(), StringComparison.Ordinal);
        var scaled = graph.Consumers(pow.Outputs[0]).Single();
        Assert.Equal(OpTypes.Mul, scaled.OpType);
        Assert.Equal("/qkv/MatMul.q.scale", scaled.Name);
    }

    [Fact]
    public void Key_is_transposed_once_to_heads_by_dim_by_tokens()
    {
        var model = ExportFixtures.LoadPromoted("timm_unbind");
        new SplitAttentionProjections().Apply(model);
        var graph = model.Graph;
        var key = graph.Nodes.Single(n => n.Name == "/qkv/MatMul.k");
        var path = new List<Node>();
        for (var node = key; graph.Consumers(node.Outputs[0]) is [var next]; node = next)
        {
            path.Add(next);
            if (next.OpType == OpTypes.MatMul) break;
        }
        Assert.Equal([OpTypes.Add, OpTypes.Reshape, OpTypes.Transpose, OpTypes.MatMul], path.Select(n => n.OpType));
        Assert.Equal([0L, 2, 3, 1], path[2].GetInts("perm"));
    }

    [Fact]
    public void Projections_named_in_keep_stay_packed()
    {
        var model = ExportFixtures.Load("timm_unbind");
        var result = new SplitAttentionProjections { Keep = new HashSet<string> { "/qkv/MatMul" } }.Apply(model);
        Assert.Equal(0, result.Changes);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == OpTypes.Split);
    }

    [Theory]
    [InlineData("nanogpt_attention")]
    [InlineData("bert_attention")]
    public void Attention_without_a_packed_projection_is_left_alone(string name)
    {
        var model = ExportFixtures.Load(name);
        int before = model.Graph.Nodes.Count;
        Assert.Equal(0, new SplitAttentionProjections().Apply(model).Changes);
        Assert.Equal(before, model.Graph.Nodes.Count);
    }
}
