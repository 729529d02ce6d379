using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Reports;
using Shrink.Reports.Rendering;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink pareto</c>: accuracy against size for uniform widths, random allocations and the ILP, as a plot and a table.</summary>
internal static class ParetoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Folder for pareto.png (the plot), pareto.md (the table) and pareto.html (both in one self-contained page); the models of the curve are written to a temporary folder, measured and deleted", Required = true };
        var budgets = new Option<int>("--budgets") { Description = "ILP budgets between the lowest and highest uniform sizes", DefaultValueFactory = _ => 6 };
        var random = new Option<int>("--random") { Description = "Random allocations per budget", DefaultValueFactory = _ => 2 };
        var trials = new TrialArguments();
        var accounting = new Option<string>("--size-accounting") { Description = "stored (default: the bytes the file stores; 3-bit codes cost 4) or nominal (b bits per weight)", DefaultValueFactory = _ => "stored" };
        accounting.AcceptOnlyFromAmong("stored", "nominal");
        var data = new DataArguments(dataRequired: true);
        var sensitivity = new SensitivityArguments();
        var command = new Command("pareto", "Sweep size budgets and plot accuracy against size: uniform widths, random allocations and the ILP allocation (pareto.png, pareto.md, pareto.html).")
        {
            model, output, budgets, random, accounting,
        };
        trials.AddTo(command);
        data.AddTo(command);
        sensitivity.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, dir = parse.GetValue(output)!, evalSpec = parse.GetValue(trials.EvalData)!;
            int group = trials.Group(parse);
            int budgetCount = parse.GetValue(budgets) > 0 ? parse.GetValue(budgets) : throw new UsageException("--budgets must be positive.");
            int randomCount = parse.GetValue(random) >= 0 ? parse.GetValue(random) : throw new UsageException("--random must be 0 or positive.");
            trials.CheckEvalSamples(parse);
            trials.Task(parse, data);
            if (dir.Length == 0) throw new UsageException("--output: the path is empty.");
            string png = Path.Combine(dir, "pareto.png"), md = Path.Combine(dir, "pareto.md"), html = Path.Combine(dir, "pareto.html");
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse), ("--eval-data", evalSpec)],
                [("the plot in --output", png), ("the table in --output", md), ("the page in --output", html), (OutputTransaction.CacheRole, SensitivityCache.PathFor(input))]);
            var (onnx, run, result) = trials.Begin(parse, data, sensitivity, outputs, input, group);
            string metricName = run.Metric;
            var sizeAccounting = parse.GetValue(accounting) == "nominal" ? SizeAccounting.Nominal : SizeAccounting.Stored;
            var planner = new MixedPrecisionPlanner(onnx, result, group, true, sizeAccounting, new HashSet<string>(), new HashSet<string>(), onnx.SizeOnDisk, new WeightOnlyOptions { GroupSize = group });
            string temp = Directory.CreateTempSubdirectory("shrink-pareto-").FullName;
            try
            {
                double? reference = run.ReferenceAccuracy();
                int n = 0;
                (double, long) Measure(IReadOnlyDictionary<string, int> bits)
                {
                    string path = run.Quantize(bits, result.Bits.Max(), Path.Combine(temp, $"point{++n}.onnx"));
                    return (run.Evaluate(path), new FileInfo(path).Length);
                }
                var points = ConsoleOutput.WithProgress("pareto", progress => new ParetoSweep(planner, result.Bits).Run(Measure, budgetCount, randomCount, progress: progress));
                outputs.StageFile(png, "the plot in --output", path =>
                    ParetoPlot.Save(points, metricName.Replace('_', ' ') + (run.LowerIsBetter ? " (lower is better)" : ""), $"{Path.GetFileNameWithoutExtension(input)}: {metricName.Replace('_', ' ')} vs size ({string.Join("/", result.Bits)} bits, {(group == 0 ? "per channel" : $"groups of {group}")}, {parse.GetValue(trials.Method)})", path, reference));
                var table = new MarkdownTable("kind", "bits per layer", "planned bytes", "file bytes", metricName + (run.LowerIsBetter ? " (lower is better)" : ""));
                foreach (var p in points.OrderBy(p => p.Bytes))
                    table.Add(p.Kind, string.Join(" ", p.LayerBits.Values), p.PredictedBytes.ToString("N0", CultureInfo.InvariantCulture), p.Bytes.ToString("N0", CultureInfo.InvariantCulture), p.Metric.ToString("F4", CultureInfo.InvariantCulture));
                var notes = new List<string>
                {
                    $"![{(run.LowerIsBetter ? metricName.Replace('_', ' ') : "accuracy")} vs size](pareto.png)",
                    $"Sensitivity: {result.Method}; bits per layer in graph order: {string.Join(", ", planner.Sizes.LayerBytes.Keys)}.",
                };
                if (reference is double fp32) notes.Add($"fp32 {metricName}: {fp32.ToString("F4", CultureInfo.InvariantCulture)}, {Format.Bytes(onnx.SizeOnDisk)}.");
                var section = new ReportSection(run.LowerIsBetter ? $"{char.ToUpperInvariant(metricName[0])}{metricName[1..].Replace('_', ' ')} against size (lower is better)" : "Accuracy against size", table, notes);
                string title = $"Mixed-precision sweep of `{Path.GetFileName(input)}`";
                outputs.StageText(md, ReportSection.ToMarkdown(title, [section]), "the table in --output");
                // The HTML page: the same table with the plot drawn in the page (no image file beside it needed).
                var chartPoints = new List<ChartPoint>();
                if (reference is double floatMetric && onnx.SizeOnDisk is long floatBytes) chartPoints.Add(new ChartPoint(floatBytes / 1e6, floatMetric, "float", true));
                chartPoints.AddRange(points.Select(p => new ChartPoint(p.Bytes / 1e6, p.Metric, p.Kind == "ilp" ? "ilp" : $"{p.Kind}", p.Kind == "ilp")));
                var page = new Report(title, [section with { Notes = notes.Skip(1).ToList() }])
                {
                    Charts = [new ScatterChart($"{metricName.Replace('_', ' ')} against size", "file size, MB", metricName.Replace('_', ' ') + (run.LowerIsBetter ? " (lower is better)" : ""), chartPoints)],
                };
                outputs.StageText(html, ReportFormat.Render(page, html), "the page in --output");
                outputs.Commit();
                ConsoleOutput.Write(section);
                Console.Out.WriteLine($"wrote {png}, {md} and {html}");
                return ExitCodes.Ok;
            }
            finally
            {
                Directory.Delete(temp, recursive: true);
            }
        });
        return command;
    }
}
