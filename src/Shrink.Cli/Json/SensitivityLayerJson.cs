using System.Globalization;
using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Json;

/// <summary>One layer of <c>shrink sensitivity --json</c>: its measured trace and the per-bit-width errors keyed by bit width.</summary>
internal sealed record SensitivityLayerJson(
    string Name,
    string Op,
    long Parameters,
    double? Trace,
    double? TraceStandardError,
    int Probes,
    double? RelativeStandardError,
    string? StoppedBy,
    string? Warning,
    IReadOnlyDictionary<string, double> QuantizationError,
    IReadOnlyDictionary<string, double> Omega)
{
    /// <summary>The entry for <paramref name="layer"/> (a non-finite relative standard error is left out).</summary>
    public static SensitivityLayerJson From(LayerSensitivity layer) => new(
        layer.Name, layer.OpType, layer.Parameters, layer.Trace, layer.TraceStandardError, layer.Probes,
        layer.RelativeStandardError is double rse && double.IsFinite(rse) ? rse : null, layer.StoppedBy, layer.Warning,
        ByBits(layer.QuantizationError), ByBits(layer.Omega));

    private static Dictionary<string, double> ByBits(IReadOnlyDictionary<int, double> values) =>
        values.ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value);
}
