using System.Globalization;

namespace Shrink.Reports;

/// <summary>Number formats shared by console tables and Markdown reports.</summary>
public static class Format
{
    /// <summary>Bytes as B/KB/MB/GB (powers of 1024).</summary>
    public static string Bytes(long? bytes)
    {
        if (bytes is not long b) return "–";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{b} B" : v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long? n) => n is long v ? v.ToString("N0", CultureInfo.InvariantCulture) : "–";

    /// <summary>MACs as M/G.</summary>
    public static string Macs(long? macs) => macs is not long m ? "–"
        : m >= 1_000_000_000 ? (m / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G"
        : (m / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M";

    /// <summary>A fraction as a percentage with two decimals.</summary>
    public static string Percent(double? f) => f is double v ? (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %" : "–";

    /// <summary>A plain number with the given decimals.</summary>
    public static string Number(double? f, int decimals = 3) => f is double v ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : "–";

    /// <summary>Milliseconds with three significant-ish decimals.</summary>
    public static string Ms(double? ms) => ms is double v ? v.ToString(v >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture) : "–";

    /// <summary>A ratio like 1.85×.</summary>
    public static string Ratio(double? r) => r is double v ? v.ToString("F2", CultureInfo.InvariantCulture) + "×" : "–";

    /// <summary>An accuracy difference in percentage points, signed.</summary>
    public static string Points(double? a, double? b) => a is double x && b is double y
        ? (100 * (x - y)).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " pt" : "–";
}
