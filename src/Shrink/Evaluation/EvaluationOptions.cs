using Shrink.Runtime;

namespace Shrink.Evaluation;

/// <summary>What <see cref="ModelEvaluator"/> measures and how.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Batch sizes at which latency is measured.</summary>
    public IReadOnlyList<int> LatencyBatchSizes { get; init; } = [1, 64];

    /// <summary>Session settings (thread count: default 1).</summary>
    public RuntimeOptions Runtime { get; init; } = new();

    /// <summary>
    /// The task whose metrics are measured (a name of <see cref="Tasks.EvaluationTasks.Registry"/>: classification, lm,
    /// embedding, regression, fidelity); null: detected from the model (<see cref="Tasks.EvaluationTasks.Detect"/>).
    /// </summary>
    public string? Task { get; init; }

    /// <summary>Batch size of the accuracy and fidelity pass.</summary>
    public int EvalBatchSize { get; init; } = 100;

    /// <summary>Use at most this many samples for accuracy and fidelity (null: all).</summary>
    public long? MaxSamples { get; init; }

    /// <summary>Skip the accuracy and fidelity pass.</summary>
    public bool SkipAccuracy { get; init; }

    /// <summary>
    /// Bytes of activations one batch may take (estimated from the three largest activations of one sample): the
    /// accuracy pass uses a smaller batch and latency batches over it are skipped. Null: half the available memory, at
    /// most 1 GiB (<see cref="Calibration.MemoryBudget.DefaultBytes"/>).
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>
    /// With automatic run counts, batch sizes whose single run would take longer than this (estimated from a run at
    /// batch 1) are skipped with a note, so no configuration takes more than a few seconds to time.
    /// </summary>
    public double MaxRunSeconds { get; init; } = 0.3;

    /// <summary>The timing settings.</summary>
    public LatencyMeter Latency { get; init; } = new();
}
