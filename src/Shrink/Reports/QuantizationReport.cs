using System.Globalization;
using System.Text;
using Shrink.Methods.Quantization;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="QuantizationResult"/>: what was quantized, what ORT fused, and where the error comes from.</summary>
public static class QuantizationReport
{
    /// <summary>The sections; <paramref name="maxLayers"/> caps the per-layer table (console use).</summary>
    public static IReadOnlyList<ReportSection> Sections(QuantizationResult r, long inputBytes, long outputBytes, int maxLayers = int.MaxValue)
    {
        var sections = new List<ReportSection>();
        var summary = new MarkdownTable("item", "value")
            .Add("mode", r.Mode)
            .Add("quantized nodes", string.Join(", ", r.QuantizedByOp.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} ×{kv.Value}")))
            .Add("size", $"{Format.Bytes(inputBytes)} → {Format.Bytes(outputBytes)} ({(double)outputBytes / Math.Max(1, inputBytes):F2}×)");
        if (r.Calibration is not null) summary.Add("calibration", $"{r.Calibration} ({r.CalibrationSeconds:F2} s)");
        if (r.Mode == "static")
            summary.Add("weights", r.WeightBits == 8
                ? $"int8, {r.WeightRounding}{Seconds(r)}"
                : $"{r.WeightBits}-bit weight grid in int8 containers (ORT runs int8 kernels), {r.WeightRounding}{Seconds(r)}");
        summary.Add("rewrite", $"{r.RewriteSeconds:F2} s");
        if (r.FoldedActivations > 0) summary.Add("Relu/Clip folded into ranges", r.FoldedActivations.ToString(CultureInfo.InvariantCulture));
        if (r.Output is { } o) summary.Add("output fidelity (calibration data)", $"SQNR {Db(o.OutputSqnrDb)}, top-1 agreement {Format.Percent(o.Top1Agreement)}");
        sections.Add(new ReportSection("Quantization", summary, ReportParts.PreprocessingNotes(r.Preprocessing).Concat(r.OutputNotes).Concat(r.MemoryNotes.Select(m => "memory: " + m)).ToList()));

        sections.AddRange(EquivalenceReport.Sections(r.Equivalence, maxLayers));

        if (r.WeightLayers.Count > 0)
        {
            var table = new MarkdownTable("node", "op", "shape", "rounding", "rtn error", "error");
            foreach (var l in r.WeightLayers.Take(maxLayers))
                table.Add(l.Name, l.OpType, $"{l.Rows}×{l.Cols}", l.Method, ReportParts.Error(l.RtnError), ReportParts.Error(l.MethodError));
            var notes = new List<string>
            {
                $"Relative layer output error ‖(W − Ŵ)X‖²/‖WX‖² on the calibration inputs of the float model, {r.WeightBits}-bit weights, one scale per output channel: {r.WeightRounding} against round-to-nearest.",
            };
            if (ReportParts.MoreRows(r.WeightLayers.Count, maxLayers, "layers") is string more) notes.Add(more);
            sections.Add(new ReportSection("Weight rounding", table, notes));
        }

        if (r.LeftInFloat.Count > 0)
        {
            var left = new MarkdownTable("op", "reason", "nodes");
            foreach (var (op, reason, count) in r.LeftInFloat) left.Add(op, reason, count.ToString(CultureInfo.InvariantCulture));
            sections.Add(new ReportSection("Left in float", left));
        }

        if (r.Fusion is { } f)
        {
            var fusion = new MarkdownTable("what ONNX Runtime runs", "count")
                .Add("integer kernels (QLinear*, QGemm, DynamicQuantizeMatMul...)", f.IntegerKernels.ToString(CultureInfo.InvariantCulture))
                .Add("QuantizeLinear left (entries into int8)", f.QuantizeNodes.ToString(CultureInfo.InvariantCulture))
                .Add("DequantizeLinear left (exits to float)", f.DequantizeNodes.ToString(CultureInfo.InvariantCulture))
                .Add("float ops stuck between DQ and Q (unfused)", f.Unfused.Count.ToString(CultureInfo.InvariantCulture));
            var notes = new List<string> { "Optimized graph: " + string.Join(", ", f.OptimizedOps.Select(kv => $"{kv.Key} ×{kv.Value}")) };
            notes.AddRange(f.Unfused.Select(u => $"unfused: {u} — a float op between Q/DQ pairs costs a dequantize and a requantize; please report it"));
            sections.Add(new ReportSection("Fusion check", fusion, notes));
        }

        if (r.Layers.Count > 0)
        {
            var layers = new MarkdownTable("node", "op", "output SQNR dB", "input SQNR dB", "own loss dB");
            foreach (var l in r.Layers.Take(maxLayers))
                layers.Add(l.Node, l.OpType, Db(l.SqnrDb), l.InputSqnrDb is double i ? Db(i) : "–", l.OwnLossDb.ToString("F2", CultureInfo.InvariantCulture));
            var notes = new List<string> { "SQNR of each quantized node's output against the float model on calibration data, worst first; own loss = what the node itself adds." };
            if (r.Layers.Count > maxLayers) notes.Add($"{r.Layers.Count - maxLayers} more in the --report file.");
            sections.Add(new ReportSection("Per-layer error", layers, notes));
        }

        if (r.Suggestions.Count > 0 && r.Output is { } baseline)
        {
            var table = new MarkdownTable("left in float", "output SQNR dB", "gain dB", "top-1 agreement", "change");
            table.Add("(nothing)", Db(baseline.OutputSqnrDb), "", Format.Percent(baseline.Top1Agreement), "");
            foreach (var s in r.Suggestions)
                table.Add(string.Join(", ", s.ExcludedNodes), Db(s.OutputSqnrDb), (s.OutputSqnrDb - baseline.OutputSqnrDb).ToString("+0.00;-0.00", CultureInfo.InvariantCulture),
                    Format.Percent(s.Top1Agreement), Format.Points(s.Top1Agreement, baseline.Top1Agreement));
            var best = r.Suggestions.MaxBy(s => s.OutputSqnrDb)!;
            sections.Add(new ReportSection("Suggested --exclude-nodes (measured)", table,
                [$"Largest measured gain: --exclude-nodes {string.Join(",", best.ExcludedNodes)} ({best.OutputSqnrDb - baseline.OutputSqnrDb:+0.00;-0.00} dB at the output); nodes left in float cost speed, so use it when the accuracy drop matters more."]));
        }
        return sections;
    }

    /// <summary>The report model: the sections of <see cref="ToMarkdown"/> and the per-layer SQNR plot.</summary>
    public static Report Build(QuantizationResult r, string input, string output, long inputBytes, long outputBytes)
    {
        var charts = new List<ReportChart>();
        if (r.Layers.Count > 0)
            charts.Add(new BarChart("Per-layer output SQNR against the float model (worst first)", "output SQNR, dB (higher is better)", [.. r.Layers.Select(l => new ChartBar(l.Node, l.SqnrDb))]));
        charts.AddRange(EquivalenceReport.Charts(r.Equivalence));
        return new Report(ReportParts.Title("Quantization", input, output), Sections(r, inputBytes, outputBytes)) { Charts = charts };
    }

    private static string Seconds(QuantizationResult r) => r.WeightLayers.Count > 0 ? $" ({r.WeightSeconds.ToString("F2", CultureInfo.InvariantCulture)} s)" : "";

    private static string Db(double v) => double.IsPositiveInfinity(v) ? "∞" : v.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(QuantizationResult r, string input, string output, long inputBytes, long outputBytes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# " + ReportParts.Title("Quantization", input, output));
        foreach (var s in Sections(r, inputBytes, outputBytes))
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
