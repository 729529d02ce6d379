using System.Globalization;
using Shrink.Methods.Pruning.Sparsity;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="SparsityResult"/>: the sparsity reached overall and per layer, and each layer's error.</summary>
public static class SparsityReport
{
    /// <summary>The sections; <paramref name="maxLayers"/> caps the per-layer table (console use).</summary>
    public static IReadOnlyList<ReportSection> Sections(SparsityResult r, int maxLayers = int.MaxValue)
    {
        var c = CultureInfo.InvariantCulture;
        var o = r.Options;
        var summary = new MarkdownTable("item", "value")
            .Add("pattern", $"{r.Mask}{(o.Granularity.IsUnstructured ? $", {(o.Scope switch { SparsityScope.Global => "global ranking", SparsityScope.Pqi => "per-layer rates from the PQ Index", SparsityScope.Sensitivity => "per-layer rates from measured output sensitivity (integer program)", _ => "the same rate per layer" })}" : "")}")
            .Add("criterion", r.Criterion)
            .Add("weight update", o.Reconstruct ? "SparseGPT (OBS update from the layer input's XᵀX, layer by layer)" : "none (plain masks)")
            .Add("weights zeroed", $"{Format.Count(r.Weights - r.NonzeroWeightsAfter)} of {Format.Count(r.Weights)} ({Format.Percent(r.Sparsity)})")
            .Add("nonzero parameters", $"{Format.Count(r.NonzeroParametersBefore)} → {Format.Count(r.NonzeroParametersAfter)}");
        if (r.Calibration is not null) summary.Add("calibration", $"{r.Calibration} ({r.CalibrationSeconds.ToString("F2", c)} s)");
        if (r.ScheduleSeconds > 0) summary.Add("rate sensitivity", $"{Format.Count(r.Options.SensitivitySamples)} samples, {SensitivityRateSchedule.Rates.Count - 1} rates per layer ({r.ScheduleSeconds.ToString("F2", c)} s)");
        summary.Add("pruning time", $"{r.PruningSeconds.ToString("F2", c)} s");
        var notes = ReportParts.PreprocessingNotes(r.Preprocessing);
        notes.Add("The zeros are stored as dense float tensors: ONNX Runtime has no sparse kernels on CPU, so this shrinks a compressed download, not the latency. Channel pruning (--granularity channel) gives a faster model.");
        var sections = new List<ReportSection> { new("Sparsity", summary, notes) };
        ReportParts.AddLeftOut(sections, "Left dense", r.LeftDense);
        bool sensitivity = r.Layers.Any(l => l.LossIncrease is not null);
        var layers = sensitivity
            ? new MarkdownTable("layer", "op", "N×K", "method", "sparsity", "error, magnitude mask", "error, method", "ΔKL alone")
            : new MarkdownTable("layer", "op", "N×K", "method", "sparsity", "error, magnitude mask", "error, method");
        foreach (var l in r.Layers.Take(maxLayers))
        {
            if (sensitivity) layers.Add(l.Name, l.OpType, $"{l.Rows}×{l.Cols}", l.Method, Format.Percent(l.Sparsity), ReportParts.Error(l.SelectionError), ReportParts.Error(l.Error), ReportParts.Error(l.LossIncrease));
            else layers.Add(l.Name, l.OpType, $"{l.Rows}×{l.Cols}", l.Method, Format.Percent(l.Sparsity), ReportParts.Error(l.SelectionError), ReportParts.Error(l.Error));
        }
        var layerNotes = new List<string> { "Error: ‖(W − Ŵ)X‖² / ‖WX‖² on each layer's calibration inputs; – without data." };
        if (sensitivity) layerNotes.Add("ΔKL alone: the calibration loss increase (KL to the unpruned model's output) with only this layer pruned at its grid rate; the rates minimize the sum.");
        if (ReportParts.MoreRows(r.Layers.Count, maxLayers, "layers") is string more) layerNotes.Add(more);
        sections.Add(new ReportSection("Layers", layers, layerNotes));
        return sections;
    }

    /// <summary>The report model: the sections of <see cref="ToMarkdown"/>, the per-layer rates and (with data) the per-layer error.</summary>
    public static Report Build(SparsityResult r, string input, string output)
    {
        var charts = new List<ReportChart>();
        if (r.Layers.Count > 0)
            charts.Add(new BarChart("Per-layer sparsity", "fraction of the layer's weights zeroed", [.. r.Layers.Select(l => new ChartBar(l.Name, l.Sparsity))]));
        if (r.Layers.Any(l => l.Error is not null))
            charts.Add(new BarChart("Per-layer relative output error", "relative output error (lower is better)", [.. r.Layers.Where(l => l.Error is not null).Select(l => new ChartBar(l.Name, l.Error!.Value))]));
        return new Report(ReportParts.Title("Sparsity pruning", input, output), Sections(r)) { Charts = charts };
    }

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(SparsityResult r, string input, string output) =>
        ReportSection.ToMarkdown(ReportParts.Title("Sparsity pruning", input, output), Sections(r));
}
