using System.Globalization;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="WeightOnlyResult"/>: the settings, the size of the quantized weights, and each layer's error.</summary>
public static class WeightOnlyReport
{
    /// <summary>The sections; <paramref name="maxLayers"/> caps the per-layer table (console use).</summary>
    public static IReadOnlyList<ReportSection> Sections(WeightOnlyResult r, long inputBytes, long outputBytes, int maxLayers = int.MaxValue)
    {
        var o = r.Options;
        var sections = new List<ReportSection>();
        string method = r.Layers.FirstOrDefault(l => !l.Method.StartsWith("rtn (", StringComparison.Ordinal))?.Method ?? o.Method;
        var summary = new MarkdownTable("item", "value")
            .Add("weights", $"{(r.Layers.Select(l => l.Bits).Distinct().Count() > 1 ? "mixed " + string.Join("/", r.Layers.Select(l => l.Bits).Distinct().Order()) : o.Bits.ToString(CultureInfo.InvariantCulture))}-bit {(o.Symmetric ? "symmetric" : "asymmetric")}, {(o.GroupSize == 0 ? "one group per output channel" : $"groups of {o.GroupSize}")}")
            .Add("rounding", method == "gptq" ? $"gptq (act-order {(o.ActOrder ? "on" : "off")}, damp {o.Damp.ToString(CultureInfo.InvariantCulture)}, clip search {o.RoundingSettings("gptq").ClipSteps} steps, {(o.Sequential ? o.TargetFloatOutputs ? "sequential toward the float model's outputs" : "sequential" : "from the float model's inputs")})" : $"{method}{(o.RoundingSettings(method).ClipSteps > 1 ? $", clip search {o.RoundingSettings(method).ClipSteps} steps" : "")}")
            .Add("quantized layers", string.Join(", ", r.Layers.GroupBy(l => l.OpType).Select(g => $"{g.Key} ×{g.Count()}")))
            .Add("weight bytes", $"{Format.Bytes(r.FloatWeightBytes)} → {Format.Bytes(r.QuantizedWeightBytes)} ({(double)r.QuantizedWeightBytes / Math.Max(1, r.FloatWeightBytes):F3}×)")
            .Add("embeddings", r.Embeddings.Count == 0 ? (o.EmbeddingBits == 0 ? "kept in float (--embeddings off)" : "none quantized") : string.Join("; ", r.Embeddings.Select(e => $"{e.Table} {e.Rows}×{e.Cols}: {e.Format}, {Format.Bytes(e.FloatBytes)} → {Format.Bytes(e.Bytes)}, max |error| {e.MaxAbsError.ToString("G3", CultureInfo.InvariantCulture)}")))
            .Add("model size", $"{Format.Bytes(inputBytes)} → {Format.Bytes(outputBytes)} ({(double)outputBytes / Math.Max(1, inputBytes):F2}×)");
        if (r.Calibration is not null) summary.Add("calibration", $"{r.Calibration} ({r.CalibrationSeconds:F2} s)");
        summary.Add("rounding time", $"{r.RoundingSeconds:F2} s");
        var notes = ReportParts.PreprocessingNotes(r.Preprocessing);
        if (r.Layers.Any(l => l.Bits == 3)) notes.Add("3-bit codes are stored in 4-bit containers (ONNX has no 3-bit type): the accuracy is that of 3 bits, the size that of 4.");
        if (o.Export.Int8Activations) notes.Add("int8 activations: MatMulNBits layers quantize their inputs to int8 at run time (accuracy_level 4); Conv layers keep float activations.");
        sections.Add(new ReportSection("Weight-only quantization", summary, notes));

        sections.AddRange(EquivalenceReport.Sections(r.Equivalence, maxLayers));
        ReportParts.AddLeftOut(sections, "Left in float", r.LeftInFloat);

        var layers = new MarkdownTable("layer", "op", "N×K", "bits", "method", "stored as", "RTN error", $"{method} error", "time");
        foreach (var l in r.Layers.Take(maxLayers))
            layers.Add(l.Name, l.OpType, $"{l.Rows}×{l.Cols}", l.Bits.ToString(CultureInfo.InvariantCulture), l.Method, l.Format, ReportParts.Error(l.RtnError), ReportParts.Error(l.MethodError), $"{l.Seconds * 1000:F0} ms");
        var layerNotes = new List<string>
        {
            method == "gptq" && o.Sequential && o.TargetFloatOutputs
                ? "Error: ‖W·X_f − Ŵ·X_q‖² / ‖W·X_f‖², the layer's output on the quantized model's inputs X_q against the float layer on the float model's inputs X_f, over the calibration data (lower is better). RTN is measured the same way, on the same inputs."
                : "Error: ‖(W − Ŵ)X‖² / ‖WX‖² on the calibration inputs of each layer (lower is better); – without data.",
        };
        if (ReportParts.MoreRows(r.Layers.Count, maxLayers, "layers") is string more) layerNotes.Add(more);
        sections.Add(new ReportSection("Layers", layers, layerNotes));
        return sections;
    }

    /// <summary>The report model: the sections of <see cref="ToMarkdown"/> and the per-layer error plot (with data).</summary>
    public static Report Build(WeightOnlyResult r, string input, string output, long inputBytes, long outputBytes)
    {
        var charts = new List<ReportChart>();
        if (r.Layers.Any(l => l.MethodError is not null))
            charts.Add(new BarChart("Per-layer relative output error", "relative output error (lower is better)", [.. r.Layers.Where(l => l.MethodError is not null).Select(l => new ChartBar(l.Name, l.MethodError!.Value))]));
        charts.AddRange(EquivalenceReport.Charts(r.Equivalence));
        return new Report(ReportParts.Title("Weight-only quantization", input, output), Sections(r, inputBytes, outputBytes)) { Charts = charts };
    }

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(WeightOnlyResult r, string input, string output, long inputBytes, long outputBytes) =>
        ReportSection.ToMarkdown(ReportParts.Title("Weight-only quantization", input, output), Sections(r, inputBytes, outputBytes));
}
