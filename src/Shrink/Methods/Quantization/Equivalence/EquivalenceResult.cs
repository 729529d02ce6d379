namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>What one equivalence transform did: per-layer rows, notes, how long it took, and the function check.</summary>
public sealed record EquivalenceResult
{
    /// <summary>The transform's registered name (smooth, rotate, equalize, bias-correction).</summary>
    public required string Name { get; init; }

    /// <summary>One row per place it looked at, applied or skipped.</summary>
    public IReadOnlyList<EquivalenceLayer> Layers { get; init; } = [];

    /// <summary>Notes worth a line in the report (fallbacks taken, the Hadamard construction used...).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Names of nodes the transform inserted that must stay in float (the online rotation's X·Q MatMuls): the quantizer
    /// leaves them out as if excluded by name.
    /// </summary>
    public IReadOnlyList<string> FloatNodes { get; init; } = [];

    /// <summary>Seconds it took, statistics included.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// Largest relative difference of the model outputs before and after the rewrite in float on a calibration batch
    /// (‖y' − y‖∞ / ‖y‖∞; NaN: not measured). Smoothing, rotation and equalization keep it near 1e-6; bias correction
    /// changes the function on purpose and reports NaN.
    /// </summary>
    public double FunctionChange { get; init; } = double.NaN;
}
