using System.Globalization;
using Shrink.Methods.Pruning.Structured;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="ChannelPruningResult"/>: what shrank, which groups were cut or left alone, and the refits.</summary>
public static class ChannelPruningReport
{
    /// <summary>The sections; <paramref name="maxRows"/> caps each table (console use).</summary>
    public static IReadOnlyList<ReportSection> Sections(ChannelPruningResult r, long inputBytes, long outputBytes, int maxRows = int.MaxValue)
    {
        var c = CultureInfo.InvariantCulture;
        var sections = new List<ReportSection>();
        var summary = new MarkdownTable("item", "value")
            .Add("method", r.Method)
            .Add("parameters", $"{Format.Count(r.ParametersBefore)} → {Format.Count(r.ParametersAfter)} ({Removed(r.ParametersBefore, r.ParametersAfter)} removed)")
            .Add("MACs per sample", $"{Format.Macs(r.MacsBefore)} → {Format.Macs(r.MacsAfter)} ({Removed(r.MacsBefore, r.MacsAfter)} removed)")
            .Add("size", $"{Format.Bytes(inputBytes)} → {Format.Bytes(outputBytes)} ({(double)outputBytes / Math.Max(1, inputBytes):F2}×)")
            .Add("time", string.Create(c, $"{r.Seconds:F2} s"));
        if (r.Calibration is not null) summary.Add("calibration", r.Calibration);
        if (r.Latency is { } l)
        {
            summary.Add($"latency, batch {l.BatchSize}", string.Create(c, $"{l.BeforeMs:F3} ms → {l.AfterMs:F3} ms ({l.Speedup:F2}× faster, as timed while choosing)"))
                .Add("latency search", string.Create(c, $"{l.Measurements} channel configurations timed, {l.Seconds:F1} s"));
        }
        sections.Add(new ReportSection("Channel pruning", summary, [.. ReportParts.PreprocessingNotes(r.Preprocessing), .. r.ProbeNote is string probe ? [probe] : Array.Empty<string>(),
            .. r.CacheNote is string cache ? [cache] : Array.Empty<string>()]));

        var groups = new MarkdownTable("group", "producers", "channels", "kept", "criterion");
        foreach (var g in r.Groups.Take(maxRows))
            groups.Add(g.Group, string.Join(", ", g.Producers), g.Unit, g.KeptUnit, g.Criterion);
        var notes = new List<string> { "A group is a set of channels that must go together (a conv's outputs, the convs tied by a residual Add, their consumers' inputs); an attention group's units are heads (q, k, v columns and output-projection rows)." };
        if (ReportParts.MoreRows(r.Groups.Count, maxRows, "groups") is string more) notes.Add(more);
        sections.Add(new ReportSection("Groups", groups, notes));

        if (r.Fair is { } fair)
        {
            var counts = new MarkdownTable("group", "channels", "ToD count k", "ToD(k)", "kept");
            foreach (var g in fair.Groups.Take(maxRows))
                counts.Add(g.Group, g.Channels.ToString(c), g.TodCount.ToString(c), g.Tod.ToString("F3", c), g.Kept.ToString(c));
            var fairNotes = new List<string>
            {
                fair.Scale < 1
                    ? string.Create(c, $"Even α = 0 (no removed channel among the most important by reconstruction) removes more than the target, so every group's α = 0 count was scaled by {fair.Scale:F3}.")
                    : string.Create(c, $"α = {fair.Alpha:G4}: the smallest tolerance of difference that reaches the target, shared by every group."),
                "k: the most channels a group may lose with ToD(k) ≤ α, where ToD(k) is the fraction of its k least class-separating channels (utilization) that rank among its k most important by reconstruction. Kept: n − k rounded up to the channel multiple, at least the floor.",
            };
            sections.Add(new ReportSection("Fair schedule", counts, fairNotes));
        }

        if (r.LeftAlone.Count > 0)
        {
            var left = new MarkdownTable("group", "channels", "why it was left alone");
            foreach (var g in r.LeftAlone.Take(maxRows)) left.Add(g.Group, g.Unit, string.Join("; ", g.Reasons));
            sections.Add(new ReportSection("Left alone", left, ["Groups whose removal cannot be proved safe are left intact; this is not an error."]));
        }

        if (r.Refits.Count > 0)
        {
            var refits = new MarkdownTable("layer", "rows", "unknowns", "error before refit", "after");
            foreach (var f in r.Refits.Take(maxRows))
                refits.Add(f.Node, f.Rows.ToString("N0", c), f.Unknowns.ToString(c), f.RelativeErrorBefore.ToString("F4", c), f.RelativeErrorAfter.ToString("F4", c) + (f.Note is null ? "" : $" ({f.Note})"));
            sections.Add(new ReportSection("Least-squares refits", refits, ["Relative squared error of the layer's output against the unpruned model's, on calibration data."]));
        }
        return sections;
    }

    /// <summary>The report model: the sections of <see cref="ToMarkdown"/>, the fraction each group keeps and (with a latency target) the latency.</summary>
    public static Report Build(ChannelPruningResult r, string input, string output, long inputBytes, long outputBytes)
    {
        var charts = new List<ReportChart>();
        if (r.Groups.Count > 0)
            charts.Add(new BarChart("Channels kept per group", "fraction of the group's channels kept", [.. r.Groups.Select(g => new ChartBar(g.Group, (double)g.Kept / Math.Max(1, g.Channels)))]));
        if (r.Latency is { } l)
            charts.Add(new BarChart($"Latency at batch {l.BatchSize.ToString(CultureInfo.InvariantCulture)} (as timed while choosing)", "milliseconds per batch", [new ChartBar("before", l.BeforeMs), new ChartBar("after", l.AfterMs)]));
        return new Report(ReportParts.Title("Channel pruning", input, output), Sections(r, inputBytes, outputBytes)) { Charts = charts };
    }

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(ChannelPruningResult r, string input, string output, long inputBytes, long outputBytes) =>
        ReportSection.ToMarkdown(ReportParts.Title("Channel pruning", input, output), Sections(r, inputBytes, outputBytes));

    private static string Removed(long before, long after) => before > 0 ? (100.0 * (before - after) / before).ToString("F1", CultureInfo.InvariantCulture) + " %" : "–";
}
