namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// What one tuning trial measured: the metric, and the size in bytes of the model file the trial wrote (null when the
/// caller does not write one; the tuner then compares the planner's predicted sizes).
/// </summary>
public sealed record TrialOutcome(double Metric, long? FileBytes);
