using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Ops;
using Shrink.Tests.Methods.Pruning;
using Shrink.Tests.Passes;

namespace Shrink.Tests.Methods.Quantization.Dynamic;

/// <summary>
/// Dynamic int8 quantizes an activation once when several MatMuls read it (<see cref="SharedActivationQuantization"/>):
/// a split attention block's q, k and v projections read one LayerNorm output.
/// </summary>
public sealed class SharedActivationQuantizationTests
{
    [Fact]
    public void Projections_reading_one_tensor_share_one_DynamicQuantizeLinear_with_the_same_outputs()
    {
        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(ExportFixtures.Load("timm_unbind"));
        var model = result.Model;
        var graph = model.Graph;
        var shared = Assert.Single(graph.Nodes, n => n.OpType == OpTypes.DynamicQuantizeLinear);
        var readers = graph.Consumers(shared.Outputs[0]);
        Assert.Equal(["/qkv/MatMul.k_quant", "/qkv/MatMul.q_quant", "/qkv/MatMul.v_quant"], readers.Select(n => n.Name).Order());
        Assert.All(readers, n => Assert.Equal(OpTypes.MatMulIntegerToFloat, n.OpType));
        Assert.All(readers, n => Assert.Equal([shared.Outputs[0], n.Inputs[1], shared.Outputs[1], n.Inputs[3], shared.Outputs[2], n.Inputs[5], n.Inputs[6]], n.Inputs));
        // The output projection reads its own input: still one DynamicQuantizeMatMul.
        Assert.Single(graph.Nodes, n => n.OpType == OpTypes.DynamicQuantizeMatMul);
        Assert.Contains(result.OutputNotes, n => n.StartsWith("shared activation quantization: 1 activation(s)", StringComparison.Ordinal));

        // The same outputs as each projection quantizing the tensor itself: undo the sharing by hand.
        var separate = model.Clone();
        var g = separate.Graph;
        foreach (var node in g.Nodes.Where(n => n.OpType == OpTypes.MatMulIntegerToFloat).ToArray())
        {
            g.AddNodeBefore(node, OpTypes.DynamicQuantizeMatMul, [shared.Inputs[0], node.Inputs[1], node.Inputs[3], node.Inputs[5], node.Inputs[6]], [node.Outputs[0]], null, OpDomains.Microsoft);
            g.RemoveNode(node);
        }
        g.RemoveNode(g.Nodes.Single(n => n.OpType == OpTypes.DynamicQuantizeLinear));
        g.SortTopologically();
        var x = ExportFixtures.Input("timm_unbind", batch: 2, tokens: 6)["x"];
        PassTestKit.AssertSameOutputs(PassTestKit.Run(separate, x), PassTestKit.Run(model, x), 1e-6);
    }

    [Fact]
    public void A_tensor_one_MatMul_reads_keeps_its_DynamicQuantizeMatMul()
    {
        var model = ExportFixtures.LoadPromoted("nanogpt_attention");
        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model);
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType is OpTypes.DynamicQuantizeLinear or OpTypes.MatMulIntegerToFloat);
        Assert.DoesNotContain(result.OutputNotes, n => n.StartsWith("shared activation quantization", StringComparison.Ordinal));
    }
}
