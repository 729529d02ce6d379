using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Ops whose output range differs from their inputs' (GlobalAveragePool, AveragePool, Concat): every float activation
/// input and the output get calibrated parameters (QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat).
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
        foreach (var i in node.Inputs) context.Plan.MarkCalibrated(i);
        context.MarkOutput(node);
        return null;
    }
}
