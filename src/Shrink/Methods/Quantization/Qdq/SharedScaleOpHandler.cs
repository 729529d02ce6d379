using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Ops that only move or select values (MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze): the output shares the
/// input's scale and zero point, so ORT drops the surrounding DQ/Q pair and runs the op on the 8-bit data directly.
/// Without this, a float MaxPool between two QLinearConvs costs a dequantize and a requantize. When the input is
/// still float (its producer stayed float), the op stays float too and the int8 boundary moves after it: ORT's
/// uint8 MaxPool in NCHW layout was measured 20× slower than its float one.
/// </summary>
[Registered("shared-scale", "Value-preserving ops (MaxPool, Reshape, Transpose...): the output shares the input scale, ORT drops the Q/DQ pair")]
public sealed class SharedScaleOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public QdqRole? Role => QdqRole.SharesInputScale;

    /// <inheritdoc />
    public string? Mark(Model.Node node, QdqMarkContext context)
    {
        string input = node.Inputs[0], output = node.Outputs[0];
        if (!context.IsActivation(input)) return "the data input is not a float activation";
        if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0 && context.Graph.Consumers(o).Count > 0))
            return "its second output (indices) is used";
        if (!context.Plan.IsMarked(input)) return "its input is float, so the int8 boundary comes after it";
        if (!context.Graph.IsGraphOutput(output))
            context.Plan.SharedWith[output] = input;
        return null;
    }
}
