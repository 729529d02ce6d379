namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// The outcome of accuracy-driven tuning: every trial, and the smallest one within the limit (null if none). With
/// <c>LowerIsBetter</c> (perplexity), <c>MaxDropPoints</c> and each trial's loss are relative increases in percent.
/// </summary>
public sealed record TuningResult(IReadOnlyList<TuningTrial> Trials, TuningTrial? Best, double ReferenceMetric, double MaxDropPoints, IReadOnlyList<long> Ladder, bool LowerIsBetter = false);
