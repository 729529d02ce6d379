using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Add (and MatMul) of two activations: both inputs and the output per tensor, fused by ORT into QLinearAdd or
/// QLinearMatMul. An Add with a constant operand (a bias, LayerNorm's β or ε) stays in float: quantizing it gains
/// nothing and costs accuracy.
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
        context.Plan.MarkCalibrated(node.Inputs[0]);
        context.Plan.MarkCalibrated(node.Inputs[1]);
        context.MarkOutput(node);
        return null;
    }
}
