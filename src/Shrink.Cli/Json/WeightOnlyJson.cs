using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Cli.Json;

/// <summary><c>shrink quantize --mode weight-only --json</c>: the weight-only result with its grid, files and sizes.</summary>
internal sealed record WeightOnlyJson(
    string Model,
    string Output,
    string Mode,
    int Bits,
    int GroupSize,
    bool Symmetric,
    long SizeBytes,
    long InputSizeBytes,
    long FloatWeightBytes,
    long QuantizedWeightBytes,
    string? Calibration,
    double CalibrationSeconds,
    double RoundingSeconds,
    IReadOnlyList<WeightLayerResult> Layers,
    IReadOnlyList<LeftNodeJson> LeftInFloat,
    IReadOnlyList<EmbeddingResult> Embeddings,
    IReadOnlyList<EquivalenceResult> Equivalence)
{
    /// <summary>The payload for <paramref name="result"/> made with <paramref name="options"/>.</summary>
    public static WeightOnlyJson From(WeightOnlyResult result, WeightOnlyOptions options, string model, string output, long sizeBytes, long inputSizeBytes) => new(
        model, output, "weight-only", options.Bits, options.GroupSize, options.Symmetric, sizeBytes, inputSizeBytes,
        result.FloatWeightBytes, result.QuantizedWeightBytes, result.Calibration, result.CalibrationSeconds, result.RoundingSeconds,
        result.Layers, LeftNodeJson.From(result.LeftInFloat), result.Embeddings, result.Equivalence);
}
