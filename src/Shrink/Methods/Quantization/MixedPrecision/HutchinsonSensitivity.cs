using System.Diagnostics;
using Shrink.Measures;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// HAWQ-V2/V3 sensitivity without a backward pass: the trace of the loss Hessian w.r.t. a layer's weights by Hutchinson's
/// estimator, each vᵀHv (v Rademacher) from the second difference (L(w+εv) − 2L(w) + L(w−εv)) / ε²; then
/// Ω(layer, b) = trace / n × ‖Q_b(W) − W‖². Probing stops once the standard error is below the tolerance.
/// </summary>
[Registered("hutchinson", "HAWQ: Hessian trace (Hutchinson probes) times the rounding error")]
public sealed class HutchinsonSensitivity : ISensitivityMetric
{
    /// <inheritdoc />
    public string Name => "hutchinson";

    /// <inheritdoc />
    public LayerSensitivity Measure(WeightInputSession session, ReferenceQuantizer quantizer, SensitivityOptions options, int layerIndex, double seconds)
    {
        var clock = Stopwatch.StartNew();
        var (trace, standardError, probes, stoppedBy) = EstimateTrace(session, options, layerIndex, seconds);
        var w = session.Weight;
        var errors = options.Bits.ToDictionary(b => b, b => ReferenceQuantizer.SquaredDistance(quantizer.Quantize(session.Layer, w, b), w));
        // A negative trace (the loss curves down along most directions here, or the estimate is noise) would make
        // rounding look beneficial; the magnitude still says how sharply the loss responds.
        double mean = Math.Abs(trace) / w.Length;
        double relative = trace != 0 ? standardError / Math.Abs(trace) : double.PositiveInfinity;
        return LayerSensitivity.Of(session, errors, errors.ToDictionary(e => e.Key, e => mean * e.Value), clock.Elapsed.TotalSeconds) with
        {
            Trace = trace,
            TraceStandardError = standardError,
            Probes = probes,
            RelativeStandardError = relative,
            StoppedBy = stoppedBy,
            Warning = trace < 0
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"trace < 0 ({trace:G4} ± {standardError:G2}): the loss is not locally convex at this layer (or the estimate is noise); its Ω uses |trace|.")
                : null,
        };
    }

    /// <summary>
    /// The Hutchinson estimate of tr(H) for the session's layer, its standard error, the probes used and why probing
    /// stopped (<c>tolerance</c>, <c>max probes</c>, or <c>time budget</c> once <paramref name="seconds"/> are spent, after at least two probes).
    /// </summary>
    public static (double Trace, double StandardError, int Probes, string StoppedBy) EstimateTrace(WeightInputSession session, SensitivityOptions options, int layerIndex, double seconds = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        string stoppedBy = "max probes";
        var w = session.Weight;
        int n = w.Length;
        double squares = 0;
        foreach (float x in w) squares += (double)x * x;
        double rms = Math.Sqrt(squares / n);
        float eps = (float)(options.RelativeStep * (rms > 0 ? rms : 1));
        // A seed that is the same in every process (HashCode.Combine is randomized per process, so the probes were not reproducible).
        var rng = new Random(unchecked((int)((uint)options.Seed * 2654435761u) ^ (layerIndex * 40503 + 1)));
        double l0 = session.Loss(w);
        var plus = new float[n];
        var minus = new float[n];
        double sum = 0, sumSquares = 0;
        int k = 0;
        while (k < options.MaxProbes)
        {
            // The actual steps (w ± εv rounded to float), so the second difference divides by what was applied.
            double stepSquares = 0;
            for (int i = 0; i < n; i++)
            {
                float v = rng.Next(2) == 0 ? -eps : eps;
                plus[i] = w[i] + v;
                minus[i] = w[i] - v;
                double d = 0.5 * ((double)plus[i] - minus[i]);
                stepSquares += d * d;
            }
            double h2 = stepSquares / n; // ε² as applied, per element
            double estimate = (session.Loss(plus) - 2 * l0 + session.Loss(minus)) / h2;
            k++;
            sum += estimate;
            sumSquares += estimate * estimate;
            if (k >= options.MinProbes)
            {
                double mean = sum / k, variance = Math.Max(0, (sumSquares - k * mean * mean) / (k - 1));
                if (Math.Sqrt(variance / k) <= options.Tolerance * Math.Abs(mean))
                {
                    stoppedBy = "tolerance";
                    break;
                }
            }
            if (k >= 2 && k < options.MaxProbes && clock.Elapsed.TotalSeconds >= seconds)
            {
                stoppedBy = "time budget";
                break;
            }
        }
        double m = sum / k, var2 = k > 1 ? Math.Max(0, (sumSquares - k * m * m) / (k - 1)) : 0;
        return (m, Math.Sqrt(var2 / k), k, stoppedBy);
    }
}
