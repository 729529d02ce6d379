using Shrink.Runtime;

namespace Shrink.Evaluation;

/// <summary>What <see cref="ModelEvaluator"/> measures and how.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Batch sizes at which latency is measured.</summary>
    public IReadOnlyList<int> LatencyBatchSizes { get; init; } = [1, 64];

    /// <summary>Session settings (thread count: default 1).</summary>
    public RuntimeOptions Runtime { get; init; } = new();

    /// <summary>Batch size of the accuracy and fidelity pass.</summary>
    public int EvalBatchSize { get; init; } = 100;

    /// <summary>Use at most this many samples for accuracy and fidelity (null: all).</summary>
    public long? MaxSamples { get; init; }

    /// <summary>Skip the accuracy and fidelity pass.</summary>
    public bool SkipAccuracy { get; init; }

    /// <summary>The timing settings.</summary>
    public LatencyMeter Latency { get; init; } = new();
}
