namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// One trial of accuracy-driven tuning: the budget, the widths it gave, the size and the measured metric.
/// <c>DropPoints</c> is the loss against the float model (<see cref="MetricLimit.Loss"/>): points dropped, or percent
/// increased for a lower-is-better metric (perplexity).
/// </summary>
public sealed record TuningTrial(int Index, long BudgetBytes, IReadOnlyDictionary<string, int> LayerBits, long PredictedBytes, double Metric, double DropPoints, bool WithinLimit);
