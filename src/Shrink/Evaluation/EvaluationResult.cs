using Shrink.Evaluation.Tasks;

namespace Shrink.Evaluation;

/// <summary>
/// Everything <see cref="ModelEvaluator"/> measured. Serialized with snake_case names: <c>accuracy</c>,
/// <c>top1_agreement</c>, <c>latency_ms</c> (batch size → median ms), <c>reference_latency_ms</c>, <c>speedup</c>,
/// <c>size_bytes</c>, <c>params</c> and the rest.
/// </summary>
public sealed record EvaluationResult
{
    /// <summary>The evaluated model file.</summary>
    public required string Model { get; init; }

    /// <summary>The reference model file, if any.</summary>
    public string? Reference { get; init; }

    /// <summary>The data source description.</summary>
    public string? Data { get; init; }

    /// <summary>True when the data was random (<c>random:N</c>): its figures say nothing about accuracy; null otherwise.</summary>
    public bool? RandomData { get; init; }

    /// <summary>Samples used for accuracy and fidelity.</summary>
    public long Samples { get; init; }

    /// <summary>The evaluation task (classification, lm, embedding, regression, fidelity).</summary>
    public string Task { get; init; } = "classification";

    /// <summary>How the task was detected from the model, in words; null when it was given (or is the default classification).</summary>
    public string? TaskDetection { get; init; }

    /// <summary>The task's metrics (name, value, reference value, direction), e.g. perplexity for lm.</summary>
    public IReadOnlyList<TaskMetric> Metrics { get; init; } = [];

    /// <summary>What the task's metrics were computed over, in words.</summary>
    public IReadOnlyList<string> TaskNotes { get; init; } = [];

    /// <summary>Top-1 accuracy (null without labels).</summary>
    public double? Accuracy { get; init; }

    /// <summary>Top-5 accuracy (null without labels or with fewer than 5 classes).</summary>
    public double? Top5 { get; init; }

    /// <summary>The reference model's top-1 accuracy on the same samples.</summary>
    public double? ReferenceAccuracy { get; init; }

    /// <summary>The reference model's top-5 accuracy.</summary>
    public double? ReferenceTop5 { get; init; }

    /// <summary>Arg-max agreement of the first output with the reference's.</summary>
    public double? Top1Agreement { get; init; }

    /// <summary>Per-output fidelity to the reference.</summary>
    public IReadOnlyList<OutputFidelity>? Fidelity { get; init; }

    /// <summary>Intra-op threads used for every timing.</summary>
    public int Threads { get; init; }

    /// <summary>Median latency in ms by batch size.</summary>
    public IReadOnlyDictionary<string, double> LatencyMs { get; init; } = new Dictionary<string, double>();

    /// <summary>90th-percentile latency in ms by batch size.</summary>
    public IReadOnlyDictionary<string, double> LatencyP90Ms { get; init; } = new Dictionary<string, double>();

    /// <summary>The reference's median latency in ms by batch size (timed interleaved with the model).</summary>
    public IReadOnlyDictionary<string, double>? ReferenceLatencyMs { get; init; }

    /// <summary>The reference's 90th-percentile latency in ms by batch size.</summary>
    public IReadOnlyDictionary<string, double>? ReferenceLatencyP90Ms { get; init; }

    /// <summary>Reference median / model median by batch size (above 1: the model is faster).</summary>
    public IReadOnlyDictionary<string, double>? Speedup { get; init; }

    /// <summary>Timed runs per batch size.</summary>
    public IReadOnlyDictionary<string, int> LatencyRuns { get; init; } = new Dictionary<string, int>();

    /// <summary>Batch sizes that could not be timed, with the reason.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Bytes on disk (model file plus external data).</summary>
    public long SizeBytes { get; init; }

    /// <summary>The reference's bytes on disk.</summary>
    public long? ReferenceSizeBytes { get; init; }

    /// <summary>Parameter count.</summary>
    public long Params { get; init; }

    /// <summary>The reference's parameter count.</summary>
    public long? ReferenceParams { get; init; }

    /// <summary>Multiply-accumulates per sample (batch 1), from measured shapes.</summary>
    public long? Macs { get; init; }

    /// <summary>The reference's MACs per sample.</summary>
    public long? ReferenceMacs { get; init; }

    /// <summary>The ONNX Runtime version that ran the models.</summary>
    public string? OrtVersion { get; init; }
}
