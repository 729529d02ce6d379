using Google.Protobuf;
using Onnx;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Dynamic;

/// <summary>Dynamic int8 rewrites MatMul/Gemm inside If branches, Loop and Scan bodies in place; the result runs in ORT close to the original.</summary>
public sealed class DynamicQuantizerSubgraphTests
{
    [Theory]
    [InlineData("if_inner", 2)]
    [InlineData("if_outer", 2)]
    [InlineData("loop", 1)]
    [InlineData("scan", 1)]
    public void Layers_inside_subgraphs_become_DynamicQuantizeMatMul_with_their_int8_weights_in_the_subgraph(string fixture, int expected)
    {
        var proto = SubgraphModels.Named(fixture);
        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(OnnxModel.FromProto(proto.Clone()));
        Assert.Equal(expected, result.QuantizedByOp.Values.Sum());
        var written = result.Model.Proto;
        var bodies = SubgraphModels.AllGraphs(written.Graph).Skip(1).ToList();
        var quantized = bodies.SelectMany(g => g.Node.Where(n => n.OpType == "DynamicQuantizeMatMul").Select(n => (Graph: g, Node: n))).ToList();
        Assert.Equal(expected, quantized.Count);
        // Each rewritten node's int8 weight lives in the subgraph that holds the node; no float weight of it is left.
        foreach (var (graph, node) in quantized)
        {
            var weight = Assert.Single(graph.Initializer, t => t.Name == node.Input[1]);
            Assert.Equal((int)TensorProto.Types.DataType.Int8, weight.DataType);
        }
        Assert.DoesNotContain(written.Graph.Initializer, t => t.Name is "W_outer_then" or "W_outer_else");
        Assert.Empty(SubgraphModels.DuplicateNames(written));
        Assert.True(written.ToByteArray().Length < proto.ToByteArray().Length);

        foreach (bool flag in new[] { true, false })
        {
            double sqnr = SubgraphModels.WorstSqnr(proto.ToByteArray(), written.ToByteArray(), SubgraphModels.Inputs(proto, flag));
            Assert.True(sqnr > 25, $"{fixture}, flag {flag}: SQNR {sqnr:F1} dB");
        }
    }

    [Fact]
    public void A_weight_of_the_main_graph_read_by_both_branches_stays_float_and_the_result_names_the_layers()
    {
        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(OnnxModel.FromProto(SubgraphModels.IfWithOuterWeights()));
        Assert.Contains(result.LeftInFloat, l => l.Reason.Contains("'W_shared'", StringComparison.Ordinal) && l.Reason.Contains("inside If 'branch' then_branch: shared_then", StringComparison.Ordinal));
        Assert.Contains(result.Model.Graph.Initializers.Keys, k => k == "W_shared");
    }

    [Fact]
    public void Excluded_subgraph_nodes_stay_float_and_a_model_with_nothing_left_is_refused_with_the_reason()
    {
        var options = new StaticQuantizationOptions { ExcludeNodes = new HashSet<string> { "loop_mm" } };
        var e = Assert.Throws<ShrinkException>(() => new DynamicQuantizer(options).Quantize(OnnxModel.FromProto(SubgraphModels.LoopWithMatMul())));
        Assert.Contains("nothing to quantize dynamically", e.Message, StringComparison.Ordinal);
        Assert.Contains("excluded by the user (inside Loop 'loop' body: loop_mm)", e.Message, StringComparison.Ordinal);
    }
}
