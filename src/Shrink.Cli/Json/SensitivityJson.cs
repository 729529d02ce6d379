using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Json;

/// <summary><c>shrink sensitivity --json</c>: the measured per-layer sensitivities.</summary>
internal sealed record SensitivityJson(
    string Model,
    string Method,
    string Loss,
    IReadOnlyList<int> Bits,
    long Samples,
    double BaseLoss,
    double Seconds,
    bool FromCache,
    IReadOnlyList<SensitivityLayerJson> Layers,
    IReadOnlyList<SkippedLayer> Skipped,
    IReadOnlyList<string> Warnings)
{
    /// <summary>The payload for <paramref name="result"/> measured on <paramref name="model"/>.</summary>
    public static SensitivityJson From(SensitivityResult result, string model) => new(
        model, result.Method, result.Loss, result.Bits, result.Samples, result.BaseLoss, result.Seconds, result.FromCache,
        [.. result.Layers.Select(SensitivityLayerJson.From)], result.Skipped, result.Warnings);
}
