using System.Globalization;

namespace Shrink.Cli.Terminal;

/// <summary>The time a step has left, extrapolated from the fraction done so far, and durations as people read them.</summary>
internal static class ProgressEstimate
{
    /// <summary>Below this fraction done no estimate is given: the first units carry start-up costs (sessions, first batch) that the rest do not.</summary>
    public const double MinFraction = 0.05;

    /// <summary>Before this much time has passed no estimate is given: the rate of a step that just started is mostly noise.</summary>
    public static readonly TimeSpan MinElapsed = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The time left if the rest runs at the rate seen so far (<c>elapsed · (1 − f) / f</c> with f = done / total),
    /// or <see langword="null"/> when the total is unknown or too little is done to tell (see <see cref="MinFraction"/> and <see cref="MinElapsed"/>).
    /// </summary>
    public static TimeSpan? Remaining(TimeSpan elapsed, double done, double? total)
    {
        if (total is not double t || t <= 0 || done <= 0 || elapsed < MinElapsed) return null;
        double fraction = Math.Min(1, done / t);
        if (fraction < MinFraction) return null;
        return TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction);
    }

    /// <summary>A duration as <c>0.4 s</c>, <c>12 s</c>, <c>3 min 05 s</c> or <c>1 h 02 min</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        double seconds = Math.Max(0, duration.TotalSeconds);
        if (seconds < 9.95) return string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");
        long whole = (long)Math.Round(seconds);
        if (whole < 60) return string.Create(CultureInfo.InvariantCulture, $"{whole} s");
        if (whole < 3600) return string.Create(CultureInfo.InvariantCulture, $"{whole / 60} min {whole % 60:00} s");
        long minutes = (long)Math.Round(seconds / 60);
        return string.Create(CultureInfo.InvariantCulture, $"{minutes / 60} h {minutes % 60:00} min");
    }
}
