namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>One trial of accuracy-driven tuning: the budget, the widths it gave, the size and the measured metric.</summary>
public sealed record TuningTrial(int Index, long BudgetBytes, IReadOnlyDictionary<string, int> LayerBits, long PredictedBytes, double Metric, double DropPoints, bool WithinLimit);
