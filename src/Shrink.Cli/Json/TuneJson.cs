using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Json;

/// <summary><c>shrink tune --json</c>: the trials measured and the one written.</summary>
internal sealed record TuneJson(
    string Model,
    string Output,
    string Metric,
    double Reference,
    double? MaxDrop,
    long? SizeBytes,
    long? InputSizeBytes,
    long? UniformInt8Bytes,
    IReadOnlyList<TuningTrial> Trials,
    int? Chosen)
{
    /// <summary>For a lower-is-better metric (perplexity): the largest relative increase allowed, in percent (then <see cref="MaxDrop"/> is null).</summary>
    public double? MaxIncreasePercent { get; init; }

    /// <summary>True for a lower-is-better metric: each trial's <c>drop_points</c> is then its increase in percent.</summary>
    public bool? LowerIsBetter { get; init; }

    /// <summary>The payload for <paramref name="tuning"/> (<paramref name="sizes"/>: the planner's size table, for the uniform int8 size when it has 8 bits).</summary>
    public static TuneJson From(TuningResult tuning, LayerSizeTable sizes, string model, string output, string metric, double maxDrop, long? sizeBytes, long? inputSizeBytes) => new(
        model, output, metric, tuning.ReferenceMetric, tuning.LowerIsBetter ? null : maxDrop, sizeBytes, inputSizeBytes,
        sizes.LayerBytes.Values.First().ContainsKey(8) ? sizes.UniformBytes(8) : null, tuning.Trials, tuning.Best?.Index)
    {
        MaxIncreasePercent = tuning.LowerIsBetter ? maxDrop : null,
        LowerIsBetter = tuning.LowerIsBetter ? true : null,
    };
}
