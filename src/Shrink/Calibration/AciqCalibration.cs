using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>
/// ACIQ, analytical clipping (Banner, Nahshan and Soudry, "Post training 4-bit quantization of convolutional networks
/// for rapid-deployment", NeurIPS 2019): fits a Laplace distribution to the histogram (centre μ: 0 for symmetric targets,
/// the mean otherwise; scale b = E|x − μ|) and clips at μ ± α, where α minimizes the Laplace model's expected squared
/// error for the grid's 2^M levels, clipping 2b²·e^(−α/b) plus rounding α²/(3·4^M). That gives the paper's
/// α = 2.83b, 3.89b, 5.03b and 9.89b at 2, 3, 4 and 8 bits.
/// </summary>
[Registered("aciq", "clip at the analytically optimal α of a Laplace fit (ACIQ)", Order = 4)]
public sealed class AciqCalibration(CalibrationSettings settings) : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "aciq";

    /// <inheritdoc />
    public IRangeCalibrator Create(string tensorName) => new HistogramCalibrator(tensorName, settings.Bins, Choose);

    private static CalibrationRange Choose(StreamingHistogram h, QuantTarget target)
    {
        var counts = h.Counts;
        double width = h.BinWidth;
        long total = 0;
        double sum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            total += counts[i];
            sum += counts[i] * (-h.Range + (i + 0.5) * width);
        }
        if (total == 0) return CalibrationRange.Create(h.Min, h.Max);
        double centre = target.Symmetric ? 0 : sum / total;
        double deviation = 0;
        for (int i = 0; i < counts.Length; i++)
            deviation += counts[i] * Math.Abs(-h.Range + (i + 0.5) * width - centre);
        double b = deviation / total;
        if (!(b > 0)) return CalibrationRange.Create(h.Min, h.Max);
        double alpha = OptimalClip(target.Steps + 1) * b;
        return CalibrationRange.Create((float)(centre - alpha), (float)(centre + alpha));
    }

    /// <summary>
    /// α / b minimizing 2·e^(−α/b) + (α/b)²/(3·levels²), the expected squared error (in units of b²) of a unit Laplace
    /// clipped to [−α, α] and rounded onto <paramref name="levels"/> levels. The function is convex: golden-section search.
    /// </summary>
    internal static double OptimalClip(int levels)
    {
        double noise = 1.0 / (3.0 * levels * levels);
        double Error(double a) => 2 * Math.Exp(-a) + a * a * noise;
        double lo = 0, hi = 64;
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo);
        double f1 = Error(x1), f2 = Error(x2);
        for (int k = 0; k < 200 && hi - lo > 1e-9; k++)
        {
            if (f1 < f2) { hi = x2; x2 = x1; f2 = f1; x1 = hi - ratio * (hi - lo); f1 = Error(x1); }
            else { lo = x1; x1 = x2; f1 = f2; x2 = lo + ratio * (hi - lo); f2 = Error(x2); }
        }
        return (lo + hi) / 2;
    }
}
