using System.Globalization;
using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="TuningResult"/>: every trial and why the chosen one was chosen.</summary>
public static class TuningReport
{
    /// <summary>The sections.</summary>
    public static IReadOnlyList<ReportSection> Sections(TuningResult r, string metric, LayerSizeTable sizes)
    {
        var c = CultureInfo.InvariantCulture;
        var layers = sizes.LayerBytes.Keys.ToList();
        var limit = new MetricLimit(r.LowerIsBetter, r.MaxDropPoints);
        bool files = r.Trials.Any(t => t.FileBytes is not null);
        var table = new MarkdownTable("trial", "budget (bytes)", files ? "file (bytes)" : "size (bytes)", "size / float", "bits per layer", metric, $"{limit.Kind} ({limit.Unit})", "within limit");
        foreach (var t in r.Trials)
            table.Add(t.Index.ToString(c), t.BudgetBytes.ToString("N0", c), t.Bytes.ToString("N0", c), ((double)t.Bytes / sizes.FloatModelBytes).ToString("F4", c),
                string.Join(" ", layers.Select(l => t.LayerBits[l].ToString(c))), t.Metric.ToString("F4", c), t.DropPoints.ToString("F2", c), t.WithinLimit ? "yes" : "no");
        var notes = new List<string>
        {
            string.Create(c, $"Float {metric}: {r.ReferenceMetric:F4}; limit: {LimitText(r)}. Bits are listed in graph order: {string.Join(", ", layers)}."),
            string.Create(c, $"Ladder: {r.Ladder.Count} size budgets from {r.Ladder[0]:N0} bytes (every layer at the lowest width) to {r.Ladder[^1]:N0} (every layer at the highest), geometrically spaced; each trial is the ILP allocation at a rung, and the rungs are bisected by the measured {limit.Kind}."),
        };
        if (files) notes.Add("Sizes are those of each trial's written model file (the planner's weight bytes plus the graph overhead: scales, zero points, dequantization nodes).");
        if (sizes.LayerBytes.Values.First().ContainsKey(8)) notes.Add(string.Create(c, $"Uniform 8-bit: {sizes.UniformBytes(8):N0} bytes."));
        notes.Add(r.Best is { } b
            ? string.Create(c, $"Chosen: trial {b.Index}, {b.Bytes:N0} bytes{(b.FileBytes is null ? " (predicted)" : " (the file written)")}, {metric} {b.Metric:F4} ({limit.Kind} {b.DropPoints:F2} {limit.Unit}): the smallest trial within the limit; the next rung down was measured over the limit or the ladder was exhausted.")
            : "No trial stayed within the limit, not even every layer at the highest width.");
        return [new ReportSection("Trials", table, notes)];
    }

    /// <summary>The limit in words: a drop of at most N points, or (lower is better) an increase of at most N % over the float model.</summary>
    public static string LimitText(TuningResult r) => r.LowerIsBetter
        ? string.Create(CultureInfo.InvariantCulture, $"an increase of at most {r.MaxDropPoints} % over the float model's value (lower is better)")
        : string.Create(CultureInfo.InvariantCulture, $"a drop of at most {r.MaxDropPoints} points");

    /// <summary>The report model: the trials table and the metric-against-size plot.</summary>
    public static Report Build(TuningResult r, string metric, LayerSizeTable sizes, string input)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        return new Report($"Accuracy-driven mixed precision for `{Path.GetFileName(input)}`", Sections(r, metric, sizes)) { Charts = [Chart(r, metric, sizes.FloatModelBytes)] };
    }

    /// <summary>Every trial's metric against its size (MB: the written file where measured, else predicted), with the float model; the float model and the trials within the limit are highlighted and joined.</summary>
    public static ScatterChart Chart(TuningResult r, string metric, long floatModelBytes)
    {
        ArgumentNullException.ThrowIfNull(r);
        var points = new List<ChartPoint> { new(floatModelBytes / 1e6, r.ReferenceMetric, "float", true) };
        foreach (var t in r.Trials)
            points.Add(new ChartPoint(t.Bytes / 1e6, t.Metric, $"trial {t.Index.ToString(CultureInfo.InvariantCulture)}{(t == r.Best ? " (chosen)" : "")}", t.WithinLimit));
        return new ScatterChart($"{metric} against size", r.Trials.Any(t => t.FileBytes is not null) ? "size, MB (file)" : "size, MB (predicted)", metric, points);
    }
}
