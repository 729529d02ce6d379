using Shrink.Methods.Pruning.Structured;

namespace Shrink.Cli.Json;

/// <summary>
/// <c>shrink prune --json</c> (channel pruning): the pruning result with the files and sizes; <c>resized_cache</c> lists the
/// KV cache inputs and outputs of a decoder whose declared head count changed (absent for every other model).
/// </summary>
internal sealed record ChannelPruneJson(
    string Model,
    string Output,
    string Granularity,
    string Method,
    long ParametersBefore,
    long ParametersAfter,
    long MacsBefore,
    long MacsAfter,
    long SizeBytes,
    long InputSizeBytes,
    double Seconds,
    string? Calibration,
    IReadOnlyList<ChannelGroupDecision> Groups,
    FairScheduleResult? Fair,
    LatencyPrediction? Latency,
    IReadOnlyList<ChannelGroupLeftAlone> LeftAlone,
    IReadOnlyList<LayerRefit> Refits,
    IReadOnlyList<string>? ResizedCache = null)
{
    /// <summary>The payload for <paramref name="result"/> written from <paramref name="model"/> to <paramref name="output"/>.</summary>
    public static ChannelPruneJson From(ChannelPruningResult result, string model, string output, long sizeBytes, long inputSizeBytes) => new(
        model, output, "channel", result.Method, result.ParametersBefore, result.ParametersAfter, result.MacsBefore, result.MacsAfter,
        sizeBytes, inputSizeBytes, result.Seconds, result.Calibration, result.Groups, result.Fair, result.Latency, result.LeftAlone, result.Refits,
        result.ResizedCache.Count > 0 ? result.ResizedCache : null);
}
