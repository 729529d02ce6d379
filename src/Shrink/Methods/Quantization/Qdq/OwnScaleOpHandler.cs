using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Ops whose output range differs from their inputs' (GlobalAveragePool, AveragePool, Concat): every float activation
/// input and the output get calibrated parameters (QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat).
/// An op whose output is a model output stays float.
/// </summary>
[Registered("own-scale", "Ops whose output range differs from their inputs (AveragePool, GlobalAveragePool, Concat): calibrated output scale")]
public sealed class OwnScaleOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public QdqRole? Role => QdqRole.OwnOutputScale;

    /// <inheritdoc />
    public string? Mark(Model.Node node, QdqMarkContext context)
    {
        if (node.Inputs.Count == 0 || node.Inputs.Any(i => !context.IsActivation(i)))
            return "an input is not a float activation";
        // A model output stays float, so no integer kernel could run the op: Q/DQ on its inputs would only add error
        // (a decoder's KV cache: Concat(past_key, k) → present_key).
        if (context.Graph.IsGraphOutput(node.Outputs[0]))
            return "its output is a model output, which stays float";
        foreach (var i in node.Inputs) context.Plan.MarkCalibrated(i);
        context.MarkOutput(node);
        return null;
    }
}
