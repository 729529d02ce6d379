using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Writes each quantized MatMul with a constant bias, <c>DequantizeLinear(a) · DequantizeLinear(W) → MatMul → Add(b)</c>,
/// as the one com.microsoft <c>MatMulIntegerToFloat(a_q, W_q, a_scale, W_scale, a_zero, W_zero, b)</c> ONNX Runtime runs.
/// ORT builds the same kernel from the QDQ form but leaves the bias to a separate Add over the whole product, which its
/// BiasGelu fusion then takes: the bias adds and a BiasGelu kernel slower than Gelu cost tiny_gpt's static int8 model
/// about a tenth of its time at 8 × 128 tokens (docs/quantization.md). The product and the bias are computed as before
/// (the same integer kernel, then the scale and the bias), so the outputs agree to float rounding.
/// </summary>
/// <remarks>
/// Only what the op takes is rewritten: a per-tensor float scale for the activations (int8 or uint8 codes, from a
/// QuantizeLinear or a Clip of its codes), and an int8/uint8 [K, N] weight initializer with one scale or one per column
/// (axis 1, no blocks); the bias a float [N] initializer. A DequantizeLinear no longer read is removed. Opting out
/// (<see cref="StaticQuantizationOptions.FuseMatMulBias"/> off) keeps the model in portable QDQ form for other runtimes.
/// </remarks>
public static class MatMulBiasFusion
{
    /// <summary>Rewrites every matching MatMul in the main graph in place; returns how many.</summary>
    public static int Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        int fused = 0;
        foreach (var matMul in graph.Nodes.Where(n => n.OpType == OpTypes.MatMul && OpDomains.IsDefault(n.Domain) && n.Inputs.Count == 2).ToArray())
        {
            if (Match(graph, matMul) is not { } m) continue;
            var inputs = new List<string> { m.Activation.Inputs[0], m.Weight.Inputs[0], m.Activation.Inputs[1], m.Weight.Inputs[1], Optional(m.Activation, 2), Optional(m.Weight, 2), m.Bias };
            graph.AddNodeBefore(matMul, OpTypes.MatMulIntegerToFloat, inputs, [m.Add.Outputs[0]], matMul.Name, OpDomains.Microsoft);
            graph.RemoveNode(m.Add);
            graph.RemoveNode(matMul);
            foreach (var dq in new[] { m.Activation, m.Weight })
                if (graph.Consumers(dq.Outputs[0]).Count == 0 && !graph.IsGraphOutput(dq.Outputs[0])) graph.RemoveNode(dq);
            fused++;
        }
        if (fused == 0) return 0;
        graph.RemoveUnusedInitializers();
        if (model.OpsetVersion(OpDomains.Microsoft) == 0) model.SetOpsetVersion(OpDomains.Microsoft, 1);
        return fused;
    }

    /// <summary>The report line for <paramref name="fused"/> rewritten MatMuls.</summary>
    public static string Note(int fused) =>
        $"written for ONNX Runtime: {fused} int8 MatMul(s) with a bias as com.microsoft.MatMulIntegerToFloat with the bias fused (--pure-qdq keeps the QDQ form)";

    private sealed record Fusable(Node Activation, Node Weight, Node Add, string Bias);

    private static Fusable? Match(ModelGraph graph, Node matMul)
    {
        if (graph.IsGraphOutput(matMul.Outputs[0]) || graph.Consumers(matMul.Outputs[0]) is not [var add]) return null;
        if (add.OpType != OpTypes.Add || !OpDomains.IsDefault(add.Domain) || add.Inputs.Count != 2) return null;
        if (graph.Producer(matMul.Inputs[0]) is not { } activation || !IsDequantize(activation) || graph.Producer(matMul.Inputs[1]) is not { } weight || !IsDequantize(weight)) return null;

        // The activation: one float scale, codes of one byte (as its zero point says).
        if (graph.FindInitializer(activation.Inputs[1]) is not { Type: ElementType.Float, ElementCount: 1 }) return null;
        if (activation.Inputs.Count < 3 || graph.FindInitializer(activation.Inputs[2]) is not { Type: ElementType.UInt8 or ElementType.Int8, ElementCount: 1 }) return null;
        if (graph.FindInitializer(activation.Inputs[0]) is not null) return null;

        // The weight: [K, N] codes, one scale or one per column.
        if (graph.FindInitializer(weight.Inputs[0]) is not { Type: ElementType.Int8 or ElementType.UInt8, Dims: [_, var n] } || n <= 1) return null;
        if (weight.HasAttribute("block_size") && weight.GetInt("block_size", 0) != 0) return null;
        if (graph.FindInitializer(weight.Inputs[1]) is not { Type: ElementType.Float } scale) return null;
        bool perColumn = scale.ElementCount == n && scale.Dims.Count == 1 && weight.GetInt("axis", 1) is 1 or -1;
        if (scale.ElementCount != 1 && !perColumn) return null;
        if (weight.Inputs.Count > 2 && weight.Inputs[2].Length > 0 && graph.FindInitializer(weight.Inputs[2])?.ElementCount != scale.ElementCount) return null;

        // The bias: a float [N] constant (either operand of the Add).
        string bias = add.Inputs[0] == matMul.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
        if (bias == matMul.Outputs[0] || graph.FindInitializer(bias) is not { Type: ElementType.Float, Dims: [var b] } || b != n) return null;
        return new Fusable(activation, weight, add, bias);
    }

    private static bool IsDequantize(Node node) => node.OpType == OpTypes.DequantizeLinear && OpDomains.IsDefault(node.Domain) && node.Inputs.Count >= 2;

    private static string Optional(Node node, int index) => index < node.Inputs.Count ? node.Inputs[index] : "";
}
