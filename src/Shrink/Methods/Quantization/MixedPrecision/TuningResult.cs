namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>The outcome of accuracy-driven tuning: every trial, and the smallest one within the limit (null if none).</summary>
public sealed record TuningResult(IReadOnlyList<TuningTrial> Trials, TuningTrial? Best, double ReferenceMetric, double MaxDropPoints, IReadOnlyList<long> Ladder);
