using Shrink.Model;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>The pruned model and what was done to get it.</summary>
public sealed record ChannelPruningResult : ICompressionResult
{
    /// <summary>The pruned model: smaller dense weights, the same inputs and outputs.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>One entry per prunable group, in graph order.</summary>
    public required IReadOnlyList<ChannelGroupDecision> Groups { get; init; }

    /// <summary>Groups left alone, with the reasons.</summary>
    public required IReadOnlyList<ChannelGroupLeftAlone> LeftAlone { get; init; }

    /// <summary>Least-squares refits, when <see cref="ChannelPruningOptions.Reconstruct"/> was on.</summary>
    public required IReadOnlyList<LayerRefit> Refits { get; init; }

    /// <summary>With the fair schedule: the tolerance α chosen and each group's count; null otherwise.</summary>
    public FairScheduleResult? Fair { get; init; }

    /// <summary>With <see cref="PruningTarget.Latency"/>: the measured and predicted latencies; null otherwise.</summary>
    public LatencyPrediction? Latency { get; init; }

    /// <summary>Parameters of the pre-processed input model (BatchNormalization folded).</summary>
    public required long ParametersBefore { get; init; }

    /// <summary>Parameters of the pruned model.</summary>
    public required long ParametersAfter { get; init; }

    /// <summary>MACs per sample of the input model.</summary>
    public required long MacsBefore { get; init; }

    /// <summary>MACs per sample of the pruned model.</summary>
    public required long MacsAfter { get; init; }

    /// <summary>The criterion, schedule and target used, in words.</summary>
    public required string Method { get; init; }

    /// <summary>One line per pre-processing pass that changed something.</summary>
    public required IReadOnlyList<string> Preprocessing { get; init; }

    /// <summary>
    /// With calibration data: the samples, the passes that read them and the batch chosen within the memory limit
    /// ("…, batch N", or "… memory limit …: batch N instead of M"); null when no pass read data.
    /// </summary>
    public string? Calibration { get; init; }

    /// <summary>Without data: how the random probe that measured shapes and MACs sized a symbolic sequence dim; null otherwise.</summary>
    public string? ProbeNote { get; init; }

    /// <summary>
    /// The KV cache inputs and outputs of a decoder whose head axis lost heads (their declared shapes changed: the one
    /// change of interface channel pruning makes); empty for every other model.
    /// </summary>
    public IReadOnlyList<string> ResizedCache { get; init; } = [];

    /// <summary>What changed in the cache interface, in words; null when nothing did.</summary>
    public string? CacheNote { get; init; }

    /// <summary>Seconds spent, all included.</summary>
    public double Seconds { get; init; }
}
