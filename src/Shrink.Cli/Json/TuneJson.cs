using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Json;

/// <summary><c>shrink tune --json</c>: the trials measured and the one written.</summary>
internal sealed record TuneJson(
    string Model,
    string Output,
    string Metric,
    double Reference,
    double MaxDrop,
    long? SizeBytes,
    long? InputSizeBytes,
    long? UniformInt8Bytes,
    IReadOnlyList<TuningTrial> Trials,
    int? Chosen)
{
    /// <summary>The payload for <paramref name="tuning"/> (<paramref name="sizes"/>: the planner's size table, for the uniform int8 size when it has 8 bits).</summary>
    public static TuneJson From(TuningResult tuning, LayerSizeTable sizes, string model, string output, string metric, double maxDrop, long? sizeBytes, long? inputSizeBytes) => new(
        model, output, metric, tuning.ReferenceMetric, maxDrop, sizeBytes, inputSizeBytes,
        sizes.LayerBytes.Values.First().ContainsKey(8) ? sizes.UniformBytes(8) : null, tuning.Trials, tuning.Best?.Index);
}
