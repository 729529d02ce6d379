using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>
/// Searches the clipping range that minimizes the expected squared quantization error (rounding plus clipping),
/// computed from the histogram: symmetric targets try [−c, c], asymmetric ones [α·min, α·max].
/// </summary>
[Registered("mse", "the clip range with the least expected squared error", Order = 3)]
public sealed class MseCalibration(CalibrationSettings settings) : ICalibrationMethod
{
    private const int Candidates = 100;

    /// <inheritdoc />
    public string Name => "mse";

    /// <inheritdoc />
    public IRangeCalibrator Create(string tensorName) => new HistogramCalibrator(tensorName, settings.Bins, Choose);

    private static CalibrationRange Choose(StreamingHistogram h, QuantTarget target)
    {
        var counts = h.Counts;
        double width = h.BinWidth;
        float absMax = Math.Max(-h.Min, h.Max);
        CalibrationRange best = CalibrationRange.Create(h.Min, h.Max);
        double bestError = double.PositiveInfinity;
        for (int c = 1; c <= Candidates; c++)
        {
            float alpha = (float)c / Candidates;
            var range = target.Symmetric ? CalibrationRange.Create(-alpha * absMax, alpha * absMax) : CalibrationRange.Create(alpha * h.Min, alpha * h.Max);
            double error = ExpectedError(counts, h.Range, width, range, target);
            if (error < bestError) { bestError = error; best = range; }
        }
        return best;
    }

    /// <summary>Σ count · (x − dequant(quant(x)))² over bin centres, for the given range and grid.</summary>
    internal static double ExpectedError(ReadOnlySpan<long> counts, float halfRange, double width, CalibrationRange range, QuantTarget target)
    {
        double scale, zeroPoint;
        if (target.Symmetric)
        {
            double a = Math.Max(-range.Min, range.Max);
            scale = a / (target.Steps / 2.0);
            zeroPoint = (target.QMin + target.QMax + 1) / 2;
        }
        else
        {
            scale = (range.Max - range.Min) / target.Steps;
            zeroPoint = Math.Round(target.QMin - range.Min / Math.Max(scale, 1e-30));
        }
        if (scale <= 0) return double.PositiveInfinity;
        double error = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0) continue;
            double x = -halfRange + (i + 0.5) * width;
            double q = Math.Clamp(Math.Round(x / scale) + zeroPoint, target.QMin, target.QMax);
            double d = x - (q - zeroPoint) * scale;
            error += counts[i] * d * d;
        }
        return error;
    }
}
