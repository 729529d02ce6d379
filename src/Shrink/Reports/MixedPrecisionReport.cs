using System.Globalization;
using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Reports;

/// <summary>Tables of a <see cref="MixedPrecisionPlan"/>: the budget, its bounds and the width chosen per layer.</summary>
public static class MixedPrecisionReport
{
    /// <summary>The sections.</summary>
    public static IReadOnlyList<ReportSection> Sections(MixedPrecisionPlan plan, SensitivityResult sensitivity, long? measuredBytes = null)
    {
        var c = CultureInfo.InvariantCulture;
        string unit = plan.Budget.Kind == BudgetKind.BopsRatio ? "BOPs" : "bytes";
        var summary = new MarkdownTable("item", "value")
            .Add("budget", string.Create(c, $"{plan.Budget} = {plan.BudgetValue:N0} {unit}"))
            .Add("feasible range", string.Create(c, $"{plan.Bounds.Minimum:N0} (every layer at {sensitivity.Bits.Min()} bits) … {plan.Bounds.Float:N0} (float) {unit}"))
            .Add("plan uses", string.Create(c, $"{plan.Used:N0} {unit} ({(double)plan.Used / plan.Bounds.Float:F4} of float)"))
            .Add("predicted size", string.Create(c, $"{plan.PredictedBytes:N0} bytes ({(plan.Accounting == SizeAccounting.Stored ? "as stored" : "nominal bits")}){(measuredBytes is long m ? $", file {m:N0} bytes" : "")}"))
            .Add("Σ Ω", plan.TotalOmega.ToString("G4", c))
            .Add("sensitivity", $"{sensitivity.Method}, {sensitivity.Loss} loss, {sensitivity.Samples} samples")
            .Add("solver", plan.Optimal ? "CP-SAT, proven optimal" : "CP-SAT, best found within the time limit");
        var notes = new List<string>();
        if (plan.Accounting == SizeAccounting.Stored && sensitivity.Bits.Contains(3) && sensitivity.Bits.Contains(4))
            notes.Add("Sizes are counted as stored: 3-bit codes sit in 4-bit containers, so 3 bits cost as much as 4 and the solver takes 4 (lower Ω). Use --size-accounting nominal to count 3 bits as 3.");
        var table = new MarkdownTable("layer", "op", "params", "bits", "Ω", "bytes", "float bytes");
        foreach (var l in plan.Layers)
            table.Add(l.Name, l.OpType, l.Parameters.ToString("N0", c), l.Bits.ToString(c), l.Omega.ToString("G4", c), l.Bytes.ToString("N0", c), l.FloatBytes.ToString("N0", c));
        var histogram = string.Join(", ", plan.Layers.GroupBy(l => l.Bits).OrderBy(g => g.Key).Select(g => $"{g.Count()} layer(s) at {g.Key} bits"));
        return [new ReportSection("Mixed precision", summary, notes), new ReportSection("Bits per layer", table, [histogram])];
    }
}
