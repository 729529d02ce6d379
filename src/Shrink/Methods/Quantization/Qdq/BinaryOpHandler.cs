using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Add (and MatMul) of two activations: both inputs and the output per tensor, fused by ORT into QLinearAdd or
/// QLinearMatMul. An Add with a constant operand (a bias, LayerNorm's β or ε) stays in float: quantizing it gains
/// nothing and costs accuracy. An Add whose inputs both come from float ops (a transformer's residual connection:
/// the float bias Add of a projection plus the float residual stream) stays in float too: a QLinearAdd there only
/// adds a QuantizeLinear per input and a DequantizeLinear for the LayerNorm that reads it, and the DequantizeLinear
/// ORT duplicates per reader keeps a decomposed LayerNorm (ReduceMean/Sub/...) from fusing.
/// </summary>
[Registered("binary", "Add of two activations: both inputs and the output per tensor (QLinearAdd)")]
public sealed class BinaryOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public QdqRole? Role => QdqRole.QuantizedBinary;

    /// <inheritdoc />
    public string? Mark(Node node, QdqMarkContext context)
    {
        if (node.Inputs.Count != 2) return "expects two inputs";
        if (!context.IsActivation(node.Inputs[0]) || !context.IsActivation(node.Inputs[1]))
            return "one operand is a constant";
        if (node.OpType == OpTypes.Add && !context.Plan.IsMarked(node.Inputs[0]) && !context.Plan.IsMarked(node.Inputs[1]))
            return "both inputs come from float ops (residual connection), so the int8 boundary stays after it";
        context.Plan.MarkCalibrated(node.Inputs[0]);
        context.Plan.MarkCalibrated(node.Inputs[1]);
        context.MarkOutput(node);
        return null;
    }
}
