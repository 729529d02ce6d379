namespace Shrink.Quantization.Qdq;

/// <summary>
/// Ops that only move or select values (MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze): the output shares the
/// input's scale and zero point, so ORT drops the surrounding DQ/Q pair and runs the op on the 8-bit data directly.
/// Without this, a float MaxPool between two QLinearConvs costs a dequantize and a requantize.
/// </summary>
public sealed class SharedScaleOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public string? Mark(Graph.Node node, QdqMarkContext context)
    {
        string input = node.Inputs[0], output = node.Outputs[0];
        if (!context.IsActivation(input)) return "the data input is not a float activation";
        if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0 && context.Graph.Consumers(o).Count > 0))
            return "its second output (indices) is used";
        context.Plan.MarkCalibrated(input);
        if (!context.Graph.IsGraphOutput(output))
            context.Plan.SharedWith[output] = input;
        return null;
    }
}
