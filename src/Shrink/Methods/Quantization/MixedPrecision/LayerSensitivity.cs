using Shrink.Measures;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>One layer's sensitivity Ω(layer, bits) at each bit width, with what it was computed from.</summary>
public sealed record LayerSensitivity
{
    /// <summary>The node's name (or display name when it has none): the key of <see cref="WeightOnly.WeightOnlyOptions.LayerBits"/>.</summary>
    public required string Name { get; init; }

    /// <summary>Conv, Gemm or MatMul.</summary>
    public required string OpType { get; init; }

    /// <summary>Weights in the layer.</summary>
    public required long Parameters { get; init; }

    /// <summary>Hutchinson: the estimated trace of the loss Hessian w.r.t. the layer's weights; null for perturbation.</summary>
    public double? Trace { get; init; }

    /// <summary>Hutchinson: the standard error of <see cref="Trace"/>.</summary>
    public double? TraceStandardError { get; init; }

    /// <summary>Hutchinson: probes used.</summary>
    public int Probes { get; init; }

    /// <summary>Hutchinson: the precision reached, <see cref="TraceStandardError"/> / |<see cref="Trace"/>| (infinite for a zero trace).</summary>
    public double? RelativeStandardError { get; init; }

    /// <summary>Hutchinson: why probing stopped: <c>tolerance</c> (the relative standard error reached it), <c>max probes</c> or <c>time budget</c>.</summary>
    public string? StoppedBy { get; init; }

    /// <summary>Something the reader must know about this layer's figures (a negative trace), or null.</summary>
    public string? Warning { get; init; }

    /// <summary>‖Q_b(W) − W‖² of round-to-nearest at each bit width.</summary>
    public required IReadOnlyDictionary<int, double> QuantizationError { get; init; }

    /// <summary>
    /// Ω(layer, bits): Hutchinson: |mean Hessian trace| (|trace| / parameters) × ‖Q_b(W) − W‖²; perturbation: the loss with
    /// only this layer quantized minus the float model's loss.
    /// </summary>
    public required IReadOnlyDictionary<int, double> Omega { get; init; }

    /// <summary>Seconds spent on this layer.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// The figures every metric gives for the layer whose weight <paramref name="session"/> takes: its key, op and size, the
    /// rounding errors and Ω; a metric adds its own with <c>with</c>.
    /// </summary>
    public static LayerSensitivity Of(WeightInputSession session, IReadOnlyDictionary<int, double> quantizationError, IReadOnlyDictionary<int, double> omega, double seconds)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new LayerSensitivity
        {
            Name = MixedPrecisionLayers.Key(session.Layer),
            OpType = session.Layer.Node.OpType,
            Parameters = session.Weight.Length,
            QuantizationError = quantizationError,
            Omega = omega,
            Seconds = seconds,
        };
    }
}
