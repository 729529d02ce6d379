using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Conv, Gemm and MatMul with a constant weight: activation input and output per tensor, weight per output channel
/// (axis from the op's <see cref="OpSchema"/>), bias as int32. ORT fuses the result into QLinearConv, QGemm or QLinearMatMul.
/// A MatMul of two activations (attention) stays float unless <see cref="StaticQuantizationOptions.QuantizeAttentionMatMuls"/>,
/// then goes to <see cref="BinaryOpHandler"/>.
/// </summary>
[Registered("weighted", "Conv, Gemm and MatMul with a constant weight: per-channel int8 weights, int32 bias (QLinearConv, QGemm, QLinearMatMul)")]
public sealed class WeightedOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public QdqRole? Role => QdqRole.QuantizedWeights;

    private readonly BinaryOpHandler _activationMatMul = new();

    /// <inheritdoc />
    public string? Mark(Node node, QdqMarkContext context)
    {
        var facts = OpCatalog.FindLayer(node.OpType, node.Domain);
        if (facts is null) return "no op facts";
        if (node.Inputs.Count <= facts.WeightInput) return "missing weight input";
        string input = node.Inputs[0], weightName = node.Inputs[facts.WeightInput];
        if (!context.IsFloatConstant(weightName))
        {
            if (facts.Layer == LayerKind.MatMul)
            {
                if (!context.Options.QuantizeAttentionMatMuls && context.IsActivation(input) && context.IsActivation(weightName))
                    return "a MatMul of two activations (attention) stays float: QLinearMatMul over per-head products was slower (--int8-attention quantizes it)";
                return _activationMatMul.Mark(node, context);
            }
            return "the weight is not a float constant";
        }
        if (!context.IsActivation(input)) return "the data input is not a float activation";
        var weight = context.Graph.FindInitializer(weightName)!;
        if (facts.Layer == LayerKind.Gemm && facts.ReadsInputTransposed(node.GetInt)) return "Gemm with transA is not quantized";
        if (facts.QdqRole != QdqRole.QuantizedWeights) return $"{node.OpType} has no fused int8 kernel in ONNX Runtime";
        if (weight.Dims.Count < 2) return "weight of rank < 2";
        // Reduction length of one output: Cin/groups × kernel for Conv, K for Gemm/MatMul.
        long reduction = facts.Layer == LayerKind.Convolution ? weight.ElementCount / weight.Dims[0] : weight.Dims[facts.WeightOutputAxis!(node.GetInt) == 0 ? 1 : 0];
        if (reduction < context.Options.MinReductionSize)
        {
            string reason = $"reduction of {reduction} is below {context.Options.MinReductionSize}: int8 kernels are slower than float there (e.g. a first conv on 1 channel)";
            if (ReluThenPool(node, context.Graph) is { } swap)
            {
                context.Plan.ReluPoolSwaps.Add(swap);
                context.Consumed.Add(swap.Relu);
                return reason + "; its Relu moves after the MaxPool as Max(x, 0)";
            }
            if (!FeedsMaxPool(node, context.Graph)) return reason;
        }
        int? axis = context.Options.PerChannelWeights && (facts.Layer != LayerKind.MatMul || weight.Dims.Count == 2)
            ? facts.WeightOutputAxis!(node.GetInt) : null;

        context.Plan.MarkCalibrated(input);
        var weightMark = new WeightMark(node, facts.WeightInput, axis);
        context.Plan.Weights.Add(weightMark);
        if (facts.BiasInput >= 0 && node.Inputs.Count > facts.BiasInput && node.Inputs[facts.BiasInput].Length > 0)
        {
            string bias = node.Inputs[facts.BiasInput];
            var b = context.Graph.FindInitializer(bias);
            long channels = weight.Dims[facts.WeightOutputAxis!(node.GetInt)];
            bool unitScales = facts.Layer != LayerKind.Gemm || (node.GetFloat("alpha", 1f) == 1f && node.GetFloat("beta", 1f) == 1f);
            if (b is { Type: ElementType.Float } && b.Dims.Count == 1 && b.Dims[0] == channels && unitScales)
                context.Plan.Biases.Add(new BiasMark(node, facts.BiasInput, input, weightMark));
        }
        context.MarkOutput(node);
        return null;
    }

    private static ReluPoolSwap? ReluThenPool(Node node, ModelGraph graph)
    {
        var readers = graph.Consumers(node.Outputs[0]);
        if (readers.Count != 1 || readers[0].OpType != OpTypes.Relu || graph.IsGraphOutput(node.Outputs[0])) return null;
        var relu = readers[0];
        var next = graph.Consumers(relu.Outputs[0]);
        if (next.Count != 1 || next[0].OpType != OpTypes.MaxPool || next[0].Outputs.Count != 1 || graph.IsGraphOutput(relu.Outputs[0])) return null;
        return new ReluPoolSwap(relu, next[0]);
    }

    // ORT moves Q above value-preserving ops (QDQ propagation), so a float conv followed by MaxPool would leave a uint8
    // MaxPool in NCHW layout, measured 20× slower than float; such a conv is better quantized despite its small reduction.
    private static bool FeedsMaxPool(Node node, ModelGraph graph)
    {
        foreach (var consumer in graph.Consumers(node.Outputs[0]))
        {
            if (consumer.OpType == OpTypes.MaxPool) return true;
            if (consumer.OpType is OpTypes.Relu or OpTypes.Clip && graph.Consumers(consumer.Outputs[0]).Any(c => c.OpType == OpTypes.MaxPool)) return true;
        }
        return false;
    }
}
