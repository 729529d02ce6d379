using Shrink.Evaluation;

namespace Shrink.Bench;

/// <summary>Small statistics helpers.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => LatencyMeter.Percentile(values, 0.5);

    public static double MiB(long bytes) => bytes / (1024.0 * 1024.0);
}
