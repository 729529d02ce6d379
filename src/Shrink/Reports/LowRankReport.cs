using System.Globalization;
using Shrink.Methods.Pruning.LowRank;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="LowRankResult"/>: the rank chosen per layer, the parameters saved and the error.</summary>
public static class LowRankReport
{
    /// <summary>The sections; <paramref name="maxLayers"/> caps the per-layer table (console use).</summary>
    public static IReadOnlyList<ReportSection> Sections(LowRankResult r, int maxLayers = int.MaxValue)
    {
        var c = CultureInfo.InvariantCulture;
        var o = r.Options;
        var summary = new MarkdownTable("item", "value")
            .Add("rank rule", o.Ratio is double ratio
                ? $"keep {ratio.ToString("P0", c)} of the candidate layers' weights ({Format.Count(r.ParameterBudget ?? 0)} of {Format.Count(r.CandidateParametersBefore)}), ranks split across layers to minimize the summed discarded energy fraction"
                : $"keep {o.Energy?.ToString("P1", c)} of each layer's singular-value energy")
            .Add("decomposition", o.Whiten ? "SVD of W·S, S = chol(XᵀX) from calibration data (minimizes the output error)" : "SVD of W (minimizes the weight error)")
            .Add("factored layers", $"{r.Layers.Count(l => l.Rank is not null)} of {r.Layers.Count}")
            .Add("candidate weights", $"{Format.Count(r.CandidateParametersBefore)} → {Format.Count(r.CandidateParametersAfter)} ({((double)r.CandidateParametersAfter / Math.Max(1, r.CandidateParametersBefore)).ToString("P1", c)} kept)")
            .Add("model parameters", $"{Format.Count(r.ParametersBefore)} → {Format.Count(r.ParametersAfter)} ({(double)r.ParametersAfter / Math.Max(1, r.ParametersBefore):F2}×)");
        if (r.Calibration is not null) summary.Add("calibration", $"{r.Calibration} ({r.CalibrationSeconds.ToString("F2", c)} s)");
        summary.Add("factorization time", $"{r.FactorSeconds.ToString("F2", c)} s");
        var sections = new List<ReportSection> { new("Low-rank factorization", summary, ReportParts.PreprocessingNotes(r.Preprocessing)) };
        var layers = new MarkdownTable("layer", "op", "N×K", "rank", "parameters", "energy kept", "output error", "note");
        foreach (var l in r.Layers.Take(maxLayers))
            layers.Add(l.Name, l.OpType, $"{l.Rows}×{l.Cols}", l.Rank?.ToString(c) ?? "–", $"{Format.Count(l.ParametersBefore)} → {Format.Count(l.ParametersAfter)}",
                Format.Percent(l.EnergyKept), l.OutputError is double e ? e.ToString("F4", c) : "–", l.Note ?? "");
        sections.Add(new ReportSection("Layers", layers, ["Output error: ‖(W − Ŵ)X‖² / ‖WX‖² on each layer's calibration inputs; – without data."]));
        ReportParts.AddLeftOut(sections, "Left alone", r.LeftAlone);
        return sections;
    }

    /// <summary>The report model: the sections of <see cref="ToMarkdown"/>.</summary>
    public static Report Build(LowRankResult r, string input, string output) => new(ReportParts.Title("Low-rank factorization", input, output), Sections(r));

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(LowRankResult r, string input, string output) =>
        ReportSection.ToMarkdown(ReportParts.Title("Low-rank factorization", input, output), Sections(r));
}
