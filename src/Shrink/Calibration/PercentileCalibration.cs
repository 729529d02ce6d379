using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>
/// Clips at a percentile: of |x| for symmetric targets, of each tail for asymmetric ones (low at 100 − p, high at p).
/// </summary>
[Registered("percentile", "clip at a percentile of |x| (--percentile)", Order = 1)]
public sealed class PercentileCalibration(CalibrationSettings settings) : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "percentile";

    /// <inheritdoc />
    public IRangeCalibrator Create(string tensorName) => new HistogramCalibrator(tensorName, settings.Bins, Choose);

    private CalibrationRange Choose(StreamingHistogram h, QuantTarget target)
    {
        double p = Math.Clamp(settings.Percentile, 0, 100) / 100;
        if (target.Symmetric)
        {
            var abs = h.AbsoluteCounts();
            int j = Quantile(abs, p);
            float t = (float)((j + 1) * h.BinWidth);
            return CalibrationRange.Create(-t, t);
        }
        var counts = h.Counts.ToArray();
        int low = Quantile(counts, 1 - p), high = Quantile(counts, p);
        return CalibrationRange.Create((float)h.Edge(low), (float)h.Edge(high + 1));
    }

    /// <summary>The first bin at which the cumulative share reaches <paramref name="q"/>.</summary>
    internal static int Quantile(long[] counts, double q)
    {
        long total = counts.Sum();
        double target = q * total;
        long running = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            running += counts[i];
            if (running >= target && running > 0) return i;
        }
        return counts.Length - 1;
    }
}
