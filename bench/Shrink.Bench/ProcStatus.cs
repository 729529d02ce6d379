using System.Globalization;

namespace Shrink.Bench;

/// <summary>Reads this process's resident memory from <c>/proc/self/status</c> (Linux only; null elsewhere).</summary>
internal static class ProcStatus
{
    /// <summary>Peak resident set size (VmHWM) in KiB.</summary>
    public static long? PeakRssKiB() => Read("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in KiB.</summary>
    public static long? RssKiB() => Read("VmRSS:");

    private static long? Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (string line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            string value = line[key.Length..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3].Trim();
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib : null;
        }
        return null;
    }
}
