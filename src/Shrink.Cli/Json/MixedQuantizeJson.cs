using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Cli.Json;

/// <summary><c>shrink quantize --mixed --json</c>: the mixed-precision plan as written, with its budget, sizes and predicted latency.</summary>
internal sealed record MixedQuantizeJson(
    string Model,
    string Output,
    string Mode,
    string Method,
    string Budget,
    long BudgetValue,
    long Minimum,
    long Maximum,
    long Used,
    long PredictedBytes,
    long SizeBytes,
    long InputSizeBytes,
    string SizeAccounting,
    double TotalOmega,
    bool Optimal,
    IReadOnlyDictionary<string, int> LayerBits,
    double? PredictedLatencyMs,
    double? FloatLatencyMs,
    IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>>? LatencyTableMs,
    IReadOnlyList<LayerPlan> Layers)
{
    /// <summary>The payload for <paramref name="plan"/> quantized with <paramref name="options"/> (<paramref name="latency"/>: the measured table, when the budget was a latency).</summary>
    public static MixedQuantizeJson From(MixedPrecisionPlan plan, WeightOnlyOptions options, LayerLatencyTable? latency, SizeAccounting accounting,
        string model, string output, long sizeBytes, long inputSizeBytes) => new(
        model, output, "mixed", options.Method, plan.Budget.ToString(), plan.BudgetValue, plan.Bounds.Minimum, plan.Bounds.Float, plan.Used,
        plan.PredictedBytes, sizeBytes, inputSizeBytes, accounting.ToString().ToLowerInvariant(), plan.TotalOmega, plan.Optimal, plan.LayerBits,
        latency?.PredictedMs(plan.LayerBits), latency?.ModelMs, latency?.LayerMs, plan.Layers);
}
