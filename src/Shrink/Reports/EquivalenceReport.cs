using System.Globalization;
using Shrink.Methods.Quantization.Equivalence;

namespace Shrink.Reports;

/// <summary>
/// Tables of the equivalence transforms (smoothing, rotation, equalization, bias correction): per transform, each place it
/// looked at with the activation range before and after, its setting, and where it did nothing and why; and a chart of
/// the outlier ratio before and after.
/// </summary>
public static class EquivalenceReport
{
    /// <summary>One section per transform that ran (none when none did).</summary>
    public static IEnumerable<ReportSection> Sections(IReadOnlyList<EquivalenceResult> results, int maxLayers = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var r in results)
        {
            var table = new MarkdownTable("node", "tensor", "max |x| before → after", "outlier ratio before → after", "setting", "skipped because");
            foreach (var l in r.Layers.Take(maxLayers))
                table.Add(l.Node, l.Tensor, Pair(l.MaxBefore, l.MaxAfter), Pair(l.OutlierRatioBefore, l.OutlierRatioAfter), l.Setting, l.Skipped ?? "");
            var notes = new List<string>
            {
                $"{r.Layers.Count(l => l.Applied)} applied, {r.Layers.Count(l => !l.Applied)} skipped, {r.Seconds.ToString("F2", CultureInfo.InvariantCulture)} s."
                + (double.IsNaN(r.FunctionChange) ? "" : $" Float function kept: largest relative output change {r.FunctionChange.ToString("G2", CultureInfo.InvariantCulture)} on a calibration batch."),
                "Outlier ratio: the largest channel's max |x| over the median channel's (1 is flat; the quantization grid is set by the largest).",
            };
            if (r.Layers.Count > maxLayers) notes.Add($"{r.Layers.Count - maxLayers} more rows in the --report file.");
            notes.AddRange(r.Notes);
            yield return new ReportSection($"Equivalence: {r.Name}", table, notes);
        }
    }

    /// <summary>A chart of the outlier ratio before and after, per place, for the transforms that measured it.</summary>
    public static IEnumerable<ReportChart> Charts(IReadOnlyList<EquivalenceResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var r in results)
        {
            var measured = r.Layers.Where(l => l.Applied && !double.IsNaN(l.OutlierRatioBefore) && !double.IsNaN(l.OutlierRatioAfter)).ToList();
            if (measured.Count == 0) continue;
            yield return new BarChart($"{r.Name}: outlier ratio after / before (lower is flatter)", "ratio after / before",
                [.. measured.Select(l => new ChartBar(l.Node, l.OutlierRatioAfter / Math.Max(l.OutlierRatioBefore, 1e-12)))]);
        }
    }

    private static string Pair(double before, double after) =>
        double.IsNaN(before) && double.IsNaN(after) ? "–" : $"{N(before)} → {N(after)}";

    private static string N(double v) => double.IsNaN(v) ? "–" : v.ToString("G3", CultureInfo.InvariantCulture);
}
