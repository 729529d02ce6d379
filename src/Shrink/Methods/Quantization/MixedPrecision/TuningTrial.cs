namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// One trial of accuracy-driven tuning: the budget, the widths it gave, the size and the measured metric.
/// <c>DropPoints</c> is the loss against the float model (<see cref="MetricLimit.Loss"/>): points dropped, or percent
/// increased for a lower-is-better metric (perplexity). <c>FileBytes</c> is the size of the model file the trial wrote
/// (null when the caller measured without writing one); <see cref="Bytes"/> is that size where known, else the predicted one.
/// </summary>
public sealed record TuningTrial(int Index, long BudgetBytes, IReadOnlyDictionary<string, int> LayerBits, long PredictedBytes, double Metric, double DropPoints, bool WithinLimit, long? FileBytes = null)
{
    /// <summary>The written file's size where it was measured, else the planner's prediction.</summary>
    public long Bytes => FileBytes ?? PredictedBytes;
}
