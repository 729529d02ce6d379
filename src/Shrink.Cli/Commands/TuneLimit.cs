using System.Globalization;
using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Commands;

/// <summary>
/// The limit of <c>shrink tune</c>: --max-drop (points) for a metric where higher is better, --max-increase (percent over
/// the float model) for one where lower is better; the other option is refused, naming the one to use.
/// </summary>
internal static class TuneLimit
{
    public static MetricLimit Bind(string metric, bool lowerIsBetter, double? maxDrop, string? maxIncrease)
    {
        if (lowerIsBetter)
        {
            if (maxDrop is not null)
                throw new UsageException($"--metric {metric} is lower-is-better: give --max-increase (percent over the float model, e.g. 0.5%), not --max-drop.");
            if (maxIncrease is null) throw new UsageException($"--metric {metric} needs --max-increase: the largest increase over the float model, in percent (e.g. 0.5%).");
            return new MetricLimit(LowerIsBetter: true, Percent(maxIncrease));
        }
        if (maxIncrease is not null)
            throw new UsageException($"--metric {metric} is higher-is-better: give --max-drop (points), not --max-increase (for perplexity and other lower-is-better metrics).");
        if (maxDrop is not double drop) throw new UsageException($"--metric {metric} needs --max-drop: the largest drop allowed, in points.");
        if (!(drop >= 0)) throw new UsageException("--max-drop must be 0 or positive.");
        return new MetricLimit(LowerIsBetter: false, drop);
    }

    private static double Percent(string text)
    {
        string number = text.Trim().TrimEnd('%').TrimEnd();
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && double.IsFinite(p)
            ? p
            : throw new UsageException($"--max-increase must be a percentage, 0 or positive (0.5% or 0.5), not '{text}'.");
    }
}
