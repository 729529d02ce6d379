using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>
/// KL-divergence calibration (TensorRT's entropy method): over the histogram of |x|, pick the threshold whose clipped
/// distribution P loses the least information when quantized to the target's levels (KL(P‖Q) minimal).
/// </summary>
[Registered("entropy", "the clip range whose quantized histogram diverges least (KL)", Order = 2)]
public sealed class EntropyCalibration(CalibrationSettings settings) : ICalibrationMethod
{
    /// <inheritdoc />
    public string Name => "entropy";

    /// <inheritdoc />
    public IRangeCalibrator Create(string tensorName) => new HistogramCalibrator(tensorName, settings.Bins, Choose);

    private static CalibrationRange Choose(StreamingHistogram h, QuantTarget target)
    {
        var abs = h.AbsoluteCounts();
        // Non-negative data quantized asymmetrically uses every level on [0, t]; otherwise half the levels cover |x|.
        bool oneSided = h.Min >= 0 && !target.Symmetric;
        int levels = oneSided ? target.Steps + 1 : (target.Steps + 1) / 2;
        int best = abs.Length;
        double bestKl = double.PositiveInfinity;
        var p = new double[abs.Length];
        var q = new double[abs.Length];
        for (int i = Math.Min(levels, abs.Length); i <= abs.Length; i++)
        {
            double kl = Divergence(abs, i, levels, p, q);
            if (kl < bestKl) { bestKl = kl; best = i; }
        }
        float t = (float)(best * h.BinWidth);
        return oneSided ? CalibrationRange.Create(0, t) : CalibrationRange.Create(-t, t);
    }

    /// <summary>KL(P‖Q) for threshold bin <paramref name="i"/>: P clips the outliers into its last bin, Q merges P into <paramref name="levels"/> chunks.</summary>
    internal static double Divergence(long[] abs, int i, int levels, double[] p, double[] q)
    {
        double outliers = 0;
        for (int k = i; k < abs.Length; k++) outliers += abs[k];
        for (int k = 0; k < i; k++) p[k] = abs[k];
        p[i - 1] += outliers;
        // Q: the unclipped bins merged into levels, each level's mass spread evenly over its non-empty bins. Q leaves
        // out the clipped outliers that P keeps in its last bin, so clipping is penalized.
        double chunk = (double)i / levels;
        for (int level = 0; level < levels; level++)
        {
            int start = (int)Math.Floor(level * chunk);
            int end = level == levels - 1 ? i : Math.Min(i, (int)Math.Floor((level + 1) * chunk));
            double sum = 0;
            int nonZero = 0;
            for (int k = start; k < end; k++) { sum += abs[k]; if (abs[k] != 0) nonZero++; }
            for (int k = start; k < end; k++) q[k] = abs[k] != 0 ? sum / nonZero : 0;
        }
        double pSum = 0, qSum = 0;
        for (int k = 0; k < i; k++) { pSum += p[k]; qSum += q[k]; }
        if (pSum == 0 || qSum == 0) return double.PositiveInfinity;
        double kl = 0;
        const double eps = 1e-10;
        for (int k = 0; k < i; k++)
        {
            if (p[k] == 0) continue;
            double pk = p[k] / pSum, qk = Math.Max(q[k] / qSum, eps);
            kl += pk * Math.Log(pk / qk);
        }
        return kl;
    }
}
