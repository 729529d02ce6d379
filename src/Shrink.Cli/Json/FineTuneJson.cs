using Shrink.Training;

namespace Shrink.Cli.Json;

/// <summary><c>--json</c> of a fine-tuning run (<c>shrink finetune</c>, <c>prune --finetune</c>): settings, loss and the epochs.</summary>
internal sealed record FineTuneJson(
    string Loss,
    string Optimizer,
    double LearningRate,
    string Schedule,
    int BatchSize,
    int Epochs,
    int Seed,
    int Threads,
    int Parameters,
    string? Metric,
    bool MetricLowerIsBetter,
    double? InitialMetric,
    int? BestEpoch,
    double Seconds,
    double SamplesPerSecond,
    IReadOnlyList<EpochRecord> History,
    IReadOnlyList<string> Notes,
    TrainingMemory? Memory)
{
    public static FineTuneJson From(FineTuneResult r, FineTuneOptions o) => new(
        r.Loss, o.Optimizer, r.LearningRate, o.Schedule, o.BatchSize, o.Epochs, o.Seed, o.IntraOpThreads, r.Parameters.Count,
        r.Metric, r.MetricLowerIsBetter, r.InitialMetric, r.BestEpoch, r.Seconds, r.SamplesPerSecond, r.Epochs, r.Notes, r.Memory);
}
