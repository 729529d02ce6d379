namespace Shrink.Training;

/// <summary>One epoch of a fine-tuning run: its mean loss, samples, time, and the evaluated metric when there is an evaluator.</summary>
public sealed record EpochRecord(int Epoch, double MeanLoss, long Samples, long Steps, double Seconds, double? Metric);
