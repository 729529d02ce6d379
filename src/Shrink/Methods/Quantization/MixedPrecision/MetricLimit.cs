namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// How much a tuning may lose against the float model: for a metric where higher is better (accuracy), a drop in points
/// (100 × (reference − metric)); for one where lower is better (perplexity), a relative increase in percent
/// (100 × (metric / reference − 1)).
/// </summary>
/// <param name="LowerIsBetter">The metric's direction.</param>
/// <param name="Max">The largest loss allowed: points, or percent when <paramref name="LowerIsBetter"/>.</param>
public sealed record MetricLimit(bool LowerIsBetter, double Max)
{
    /// <summary>The loss of <paramref name="metric"/> against <paramref name="reference"/>: points dropped, or percent increased.</summary>
    public double Loss(double reference, double metric) => LowerIsBetter ? 100 * ((metric / reference) - 1) : 100 * (reference - metric);

    /// <summary>The loss's unit in a table header: <c>pt</c> or <c>%</c>.</summary>
    public string Unit => LowerIsBetter ? "%" : "pt";

    /// <summary>The loss's name: <c>drop</c> or <c>increase</c>.</summary>
    public string Kind => LowerIsBetter ? "increase" : "drop";
}
