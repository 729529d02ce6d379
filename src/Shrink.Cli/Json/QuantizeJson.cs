using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Cli.Json;

/// <summary><c>shrink quantize --json</c> (static and dynamic modes): the quantization result with the files and sizes.</summary>
internal sealed record QuantizeJson(
    string Model,
    string Output,
    string Mode,
    long SizeBytes,
    long InputSizeBytes,
    IReadOnlyDictionary<string, int> Quantized,
    IReadOnlyList<LeftOpJson> LeftInFloat,
    int? IntegerKernels,
    IReadOnlyList<string>? Unfused,
    string? Calibration,
    double CalibrationSeconds,
    double RewriteSeconds,
    IReadOnlyList<LayerError> Layers,
    ExclusionTrial? OutputFidelity,
    IReadOnlyList<ExclusionTrial> Suggestions,
    IReadOnlyList<EquivalenceResult> Equivalence,
    int WeightBits,
    string WeightRounding,
    IReadOnlyList<WeightLayerResult> WeightLayers)
{
    /// <summary>The payload for <paramref name="result"/> written from <paramref name="model"/> to <paramref name="output"/>.</summary>
    public static QuantizeJson From(QuantizationResult result, string model, string output, long sizeBytes, long inputSizeBytes) => new(
        model, output, result.Mode, sizeBytes, inputSizeBytes, result.QuantizedByOp, LeftOpJson.From(result.LeftInFloat),
        result.Fusion?.IntegerKernels, result.Fusion?.Unfused, result.Calibration, result.CalibrationSeconds, result.RewriteSeconds,
        result.Layers, result.Output, result.Suggestions, result.Equivalence,
        result.WeightBits, result.WeightRounding, result.WeightLayers);
}
