using System.Diagnostics;
using Shrink.Runtime;

namespace Shrink.Evaluation;

/// <summary>Latency of one model at one batch size: median and 90th percentile over measured runs.</summary>
public sealed record LatencyStats(int BatchSize, double MedianMs, double P90Ms, int Runs);

/// <summary>
/// Times several models on the same input, interleaved run by run (A, B, A, B...), so that machine noise hits
/// them alike and their ratio is fair. Each model is warmed up first.
/// </summary>
public sealed class LatencyMeter
{
    /// <summary>Warm-up runs per model before timing.</summary>
    public int WarmupRuns { get; init; } = 5;

    /// <summary>Fixed number of timed runs per model; 0 picks it from <see cref="TargetSeconds"/>.</summary>
    public int Runs { get; init; }

    /// <summary>With automatic run counts: wall-clock budget for all models at one batch size.</summary>
    public double TargetSeconds { get; init; } = 2.0;

    /// <summary>Bounds on automatic run counts.</summary>
    public int MinRuns { get; init; } = 10;

    /// <summary>Bounds on automatic run counts.</summary>
    public int MaxRuns { get; init; } = 500;

    /// <summary>Times each session on its prepared input; returns one result per session, in order.</summary>
    public IReadOnlyList<LatencyStats> Measure(int batchSize, IReadOnlyList<(ModelSession Session, PreparedInputs Inputs)> models)
    {
        double warmSeconds = 0;
        var sw = new Stopwatch();
        foreach (var (session, inputs) in models)
        {
            for (int i = 0; i < WarmupRuns; i++)
            {
                sw.Restart();
                session.RunDiscard(inputs);
                warmSeconds += sw.Elapsed.TotalSeconds;
            }
        }
        int runs = Runs;
        if (runs <= 0)
        {
            double perRound = warmSeconds / Math.Max(1, WarmupRuns);
            runs = (int)Math.Clamp(TargetSeconds / Math.Max(perRound, 1e-6), MinRuns, MaxRuns);
        }
        var times = models.Select(_ => new double[runs]).ToArray();
        for (int r = 0; r < runs; r++)
        {
            // Alternate the order each round so neither model always runs right after the other.
            for (int k = 0; k < models.Count; k++)
            {
                int m = (r % 2 == 0) ? k : models.Count - 1 - k;
                sw.Restart();
                models[m].Session.RunDiscard(models[m].Inputs);
                times[m][r] = sw.Elapsed.TotalMilliseconds;
            }
        }
        return times.Select(t => new LatencyStats(batchSize, Percentile(t, 0.5), Percentile(t, 0.9), runs)).ToArray();
    }

    /// <summary>The <paramref name="q"/>-quantile by linear interpolation between order statistics.</summary>
    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
