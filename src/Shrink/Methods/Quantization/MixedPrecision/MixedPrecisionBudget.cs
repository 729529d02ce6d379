using System.Globalization;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>A limit on the mixed-precision model: its kind and value.</summary>
public sealed record MixedPrecisionBudget(BudgetKind Kind, double Value)
{
    /// <summary>The budget as the option that sets it, e.g. <c>--size-ratio 0.2</c>.</summary>
    public override string ToString() => Kind switch
    {
        BudgetKind.SizeRatio => $"--size-ratio {Value.ToString(CultureInfo.InvariantCulture)}",
        BudgetKind.SizeBytes => $"--size-bytes {Value.ToString(CultureInfo.InvariantCulture)}",
        BudgetKind.LatencyMs => $"--latency-ms {Value.ToString(CultureInfo.InvariantCulture)}",
        _ => $"--bops-ratio {Value.ToString(CultureInfo.InvariantCulture)}",
    };
}
