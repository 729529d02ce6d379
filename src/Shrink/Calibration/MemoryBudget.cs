using System.Globalization;

namespace Shrink.Calibration;

/// <summary>
/// How many bytes of activations calibration, the per-layer analysis and evaluation may hold at once. Batch sizes are
/// chosen from it and from the measured bytes of one sample, so peak memory scales with one batch, not with the
/// number of tensors times the samples.
/// </summary>
public static class MemoryBudget
{
    /// <summary>The default never exceeds this (1 GiB): enough for batches of 64 on the reference models.</summary>
    public const long DefaultCapBytes = 1L << 30;

    /// <summary>The smallest limit accepted (16 MiB).</summary>
    public const long MinimumBytes = 16L << 20;

    /// <summary>Half the memory available now (MemAvailable in /proc/meminfo, else what the GC reports), at most <see cref="DefaultCapBytes"/>.</summary>
    public static long DefaultBytes() => Math.Clamp(AvailableBytes() / 2, MinimumBytes, DefaultCapBytes);

    /// <summary>Memory available to this process: MemAvailable on Linux, else the GC's total available memory.</summary>
    public static long AvailableBytes()
    {
        try
        {
            if (File.Exists("/proc/meminfo"))
                foreach (string line in File.ReadLines("/proc/meminfo"))
                    if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                        && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                        return Math.Min(kib * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Parses a size such as 512M, 2G, 1.5GB or 800000000 (bytes); null when it is not one.</summary>
    public static long? Parse(string text)
    {
        string t = text.Trim().ToUpperInvariant();
        if (t.EndsWith('B')) t = t[..^1];
        double unit = 1;
        if (t.Length > 0 && "KMGT".Contains(t[^1], StringComparison.Ordinal))
        {
            unit = Math.Pow(1024, "KMGT".IndexOf(t[^1], StringComparison.Ordinal) + 1);
            t = t[..^1];
        }
        return double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) && v > 0 && v * unit < long.MaxValue
            ? (long)(v * unit)
            : null;
    }

    /// <summary>A byte count for messages: 1.5 GB, 300 MB, 12 KB.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
    };
}
