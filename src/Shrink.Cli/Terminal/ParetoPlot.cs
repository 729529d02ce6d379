using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Cli.Terminal;

/// <summary>Draws the accuracy-versus-size picture of a <see cref="ParetoSweep"/> with ScottPlot.</summary>
internal static class ParetoPlot
{
    public static void Save(IReadOnlyList<ParetoPoint> points, string metricName, string title, string path, double? reference)
    {
        var plot = new ScottPlot.Plot();
        static double Kib(long bytes) => bytes / 1024.0;
        var random = points.Where(p => p.Kind == "random").ToList();
        if (random.Count > 0)
        {
            var r = plot.Add.ScatterPoints(random.Select(p => Kib(p.Bytes)).ToArray(), random.Select(p => p.Metric).ToArray());
            r.LegendText = "random allocations";
            r.MarkerSize = 6;
            r.Color = ScottPlot.Colors.Gray;
        }
        var uniform = points.Where(p => p.Kind == "uniform").OrderBy(p => p.Bytes).ToList();
        var u = plot.Add.ScatterPoints(uniform.Select(p => Kib(p.Bytes)).ToArray(), uniform.Select(p => p.Metric).ToArray());
        u.LegendText = "uniform widths";
        u.MarkerSize = 10;
        u.MarkerShape = ScottPlot.MarkerShape.FilledSquare;
        foreach (var p in uniform)
        {
            var label = plot.Add.Text($"{p.LayerBits.Values.First()}-bit", Kib(p.Bytes), p.Metric);
            label.LabelFontSize = 11;
        }
        var curve = points.Where(p => p.Kind == "ilp").OrderBy(p => p.Bytes).ToList();
        var ilp = plot.Add.Scatter(curve.Select(p => Kib(p.Bytes)).ToArray(), curve.Select(p => p.Metric).ToArray());
        ilp.LegendText = "ILP (sensitivity-weighted)";
        ilp.LineWidth = 2;
        ilp.MarkerSize = 7;
        if (reference is double fp32)
        {
            var line = plot.Add.HorizontalLine(fp32);
            line.LegendText = "fp32";
            line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title(title);
        plot.XLabel("model size (KiB)");
        plot.YLabel(metricName);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }
}
