using System.Globalization;
using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="SensitivityResult"/>: the settings and Ω(layer, bits) per layer.</summary>
public static class SensitivityReport
{
    /// <summary>The sections.</summary>
    public static IReadOnlyList<ReportSection> Sections(SensitivityResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var summary = new MarkdownTable("item", "value")
            .Add("method", r.Method == "hutchinson" ? "hutchinson: Ω = tr(H)/n × ‖Q_b(W) − W‖², tr(H) by Hutchinson probes of forward second differences" : "perturbation: Ω = loss with only this layer rounded to b bits − float loss")
            .Add("loss", r.Loss switch
            {
                "ce" => "cross-entropy against the labels",
                "bce" => "binary cross-entropy (one output value per sample), against the labels or the float model's probabilities",
                _ => "KL divergence from the float model's outputs",
            })
            .Add("calibration", string.Create(c, $"{r.Samples} samples, float loss {r.BaseLoss:G4}"))
            .Add("time", string.Create(c, $"{r.Seconds:F1} s{(r.FromCache ? " (from the cache beside the model)" : "")}"));
        var sections = new List<ReportSection> { new("Sensitivity", summary) };
        var headers = new List<string> { "layer", "op", "params" };
        if (r.Method == "hutchinson") headers.AddRange(["tr(H)/n", "± s.e.", "rel. s.e.", "probes", "stopped by"]);
        headers.AddRange(r.Bits.Select(b => $"Ω {b}-bit"));
        var table = new MarkdownTable([.. headers]);
        foreach (var l in r.Layers)
        {
            var row = new List<string> { l.Name, l.OpType, l.Parameters.ToString("N0", c) };
            if (r.Method == "hutchinson")
                row.AddRange([G(l.Trace / l.Parameters), G(l.TraceStandardError / l.Parameters), l.RelativeStandardError is double rse ? (double.IsFinite(rse) ? rse.ToString("P1", c) : "∞") : "–", l.Probes.ToString(c), l.StoppedBy ?? "–"]);
            row.AddRange(r.Bits.Select(b => G(l.Omega[b])));
            table.Add([.. row]);
        }
        var notes = new List<string> { "Higher Ω: the layer loses more when rounded (round-to-nearest) to that width." };
        notes.AddRange(r.Warnings.Select(w => $"Warning: {w}"));
        notes.AddRange(r.Skipped.Select(s => $"{s.Name} ({s.OpType}) not scored: {s.Reason}"));
        sections.Add(new ReportSection("Layers", table, notes));
        return sections;
    }

    /// <summary>The whole report as Markdown.</summary>
    public static string ToMarkdown(SensitivityResult r, string model) =>
        ReportSection.ToMarkdown($"Quantization sensitivity of `{Path.GetFileName(model)}`", Sections(r));

    private static string G(double? v) => v is double d ? d.ToString("G4", CultureInfo.InvariantCulture) : "–";
}
