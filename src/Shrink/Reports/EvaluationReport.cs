using System.Text;
using Shrink.Evaluation;
using Shrink.Evaluation.Tasks;

namespace Shrink.Reports;

/// <summary>Tables of an <see cref="EvaluationResult"/>: before/after side by side when a reference was given.</summary>
public static class EvaluationReport
{
    /// <summary>The sections, in reading order.</summary>
    public static IReadOnlyList<ReportSection> Sections(EvaluationResult r)
    {
        bool hasRef = r.Reference is not null;
        var sections = new List<ReportSection>();

        var summary = hasRef ? new MarkdownTable("metric", "reference", "model", "change") : new MarkdownTable("metric", "model");
        void Row(string metric, string model, string? reference = null, string? change = null)
        {
            if (hasRef) summary.Add(metric, reference ?? "–", model, change ?? "");
            else summary.Add(metric, model);
        }
        if (r.Accuracy is not null)
        {
            Row("top-1 accuracy", Format.Percent(r.Accuracy), Format.Percent(r.ReferenceAccuracy), Format.Points(r.Accuracy, r.ReferenceAccuracy));
            if (r.Top5 is not null) Row("top-5 accuracy", Format.Percent(r.Top5), Format.Percent(r.ReferenceTop5), Format.Points(r.Top5, r.ReferenceTop5));
        }
        foreach (var m in r.Metrics)
        {
            if (m.Name is "top1_accuracy" or "top5_accuracy" && r.Accuracy is not null) continue; // the rows above
            Row(MetricLabel(m), MetricValue(m, m.Value), MetricValue(m, m.ReferenceValue), MetricChange(m));
        }
        if (r.Top1Agreement is not null) Row("top-1 agreement with reference", Format.Percent(r.Top1Agreement), "", "");
        Row("size on disk", Format.Bytes(r.SizeBytes), Format.Bytes(r.ReferenceSizeBytes), RatioText(r.ReferenceSizeBytes, r.SizeBytes, "smaller"));
        Row("parameters", Format.Count(r.Params), Format.Count(r.ReferenceParams), RatioText(r.ReferenceParams, r.Params, "fewer"));
        Row("MACs per sample", Format.Macs(r.Macs), Format.Macs(r.ReferenceMacs), RatioText(r.ReferenceMacs, r.Macs, "fewer"));
        var notes = new List<string> { $"{r.Samples:N0} samples from {r.Data}." };
        if (r.TaskDetection is not null) notes.Add($"task: {r.Task}, detected from the model ({r.TaskDetection}); give --task to choose another.");
        else if (r.Task != "classification") notes.Add($"task: {r.Task}.");
        notes.AddRange(r.TaskNotes);
        sections.Add(new ReportSection("Summary", summary, notes));

        var latency = hasRef
            ? new MarkdownTable("batch", "reference median ms", "reference p90 ms", "model median ms", "model p90 ms", "speedup", "runs")
            : new MarkdownTable("batch", "median ms", "p90 ms", "runs");
        foreach (var (batch, median) in r.LatencyMs)
        {
            if (hasRef)
                latency.Add(batch, Format.Ms(r.ReferenceLatencyMs?[batch]), Format.Ms(r.ReferenceLatencyP90Ms?[batch]), Format.Ms(median), Format.Ms(r.LatencyP90Ms[batch]), Format.Ratio(r.Speedup?[batch]), r.LatencyRuns[batch].ToString(System.Globalization.CultureInfo.InvariantCulture));
            else
                latency.Add(batch, Format.Ms(median), Format.Ms(r.LatencyP90Ms[batch]), r.LatencyRuns[batch].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var latencyNotes = new List<string>
        {
            $"ONNX Runtime {r.OrtVersion}, CPU, {r.Threads} intra-op thread(s); warm-up first, then medians of repeated runs" + (hasRef ? ", the two models interleaved run by run." : "."),
        };
        latencyNotes.AddRange(r.Notes);
        sections.Add(new ReportSection("Latency", latency, latencyNotes));

        if (r.Fidelity is { Count: > 0 })
        {
            var fidelity = new MarkdownTable("output", "cosine", "SQNR dB", "arg-max agreement");
            foreach (var f in r.Fidelity)
                fidelity.Add(f.Output, f.Cosine is double c ? Format.Number(c, 6) : "n/a (constant)", f.SqnrDb is double s ? Format.Number(s, 2) : f.Cosine is null ? "n/a (constant)" : "∞ (identical)", Format.Percent(f.ArgMaxAgreement));
            sections.Add(new ReportSection("Fidelity to the reference", fidelity));
        }
        return sections;
    }

    /// <summary>The metric's name in words, with its direction.</summary>
    private static string MetricLabel(TaskMetric m) => m.Name.Replace('_', ' ') + (m.LowerIsBetter ? " (lower is better)" : "");

    private static string MetricValue(TaskMetric m, double? value) =>
        value is null ? "–" : m.IsFraction ? Format.Percent(value) : Format.Number(value, 4);

    /// <summary>Points for a share, the relative change for any other value (empty without a reference value).</summary>
    private static string MetricChange(TaskMetric m) =>
        m.ReferenceValue is not double reference ? ""
        : m.IsFraction ? Format.Points(m.Value, reference)
        : reference != 0 ? ((m.Value / reference) - 1).ToString("+0.00 %;-0.00 %;0.00 %", System.Globalization.CultureInfo.InvariantCulture) : "";

    private static string RatioText(long? reference, long? model, string word) =>
        reference is long a && model is long b && b > 0 && a != b ? $"{(double)a / b:F2}× {(a > b ? word : "more")}" : "";

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(EvaluationResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Evaluation of `{Path.GetFileName(r.Model)}`");
        if (r.Reference is not null) sb.AppendLine().AppendLine($"Compared with the reference `{Path.GetFileName(r.Reference)}`.");
        foreach (var s in Sections(r))
        {
            sb.AppendLine().AppendLine($"## {s.Title}").AppendLine().Append(s.Table);
            if (s.Notes is { Count: > 0 })
            {
                sb.AppendLine();
                foreach (var n in s.Notes) sb.AppendLine($"- {n}");
            }
        }
        return sb.ToString();
    }
}
