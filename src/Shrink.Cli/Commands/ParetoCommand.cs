using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink pareto</c>: accuracy against size for uniform widths, random allocations and the ILP, as a plot and a table.</summary>
internal static class ParetoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Folder for pareto.png (the plot) and pareto.md (the table); the models of the curve are written to a temporary folder, measured and deleted", Required = true };
        var evalData = new Option<string>("--eval-data") { Description = "Evaluation samples (labelled for --metric accuracy)", Required = true };
        var evalSamples = new Option<long?>("--eval-samples") { Description = "Evaluate on at most this many samples" };
        var metric = new Option<string>("--metric") { Description = "accuracy (needs labels) or top1_agreement (with the float model)", DefaultValueFactory = _ => "accuracy" };
        metric.AcceptOnlyFromAmong("accuracy", "top1_agreement");
        var budgets = new Option<int>("--budgets") { Description = "ILP budgets between the lowest and highest uniform sizes", DefaultValueFactory = _ => 6 };
        var random = new Option<int>("--random") { Description = "Random allocations per budget", DefaultValueFactory = _ => 2 };
        var method = new Option<string>("--method") { Description = "Rounding: rtn (default) or gptq", DefaultValueFactory = _ => "rtn" };
        method.AcceptOnlyFromAmong("rtn", "gptq");
        var groupSize = new Option<int>("--group-size") { Description = "Columns per scale (0: per output channel)", DefaultValueFactory = _ => 32 };
        var accounting = new Option<string>("--size-accounting") { Description = "stored (default: the bytes the file stores; 3-bit codes cost 4) or nominal (b bits per weight)", DefaultValueFactory = _ => "stored" };
        accounting.AcceptOnlyFromAmong("stored", "nominal");
        var data = new DataArguments(dataRequired: true);
        var sensitivity = new SensitivityArguments();
        var command = new Command("pareto", "Sweep size budgets and plot accuracy against size: uniform widths, random allocations and the ILP allocation (pareto.png, pareto.md).")
        {
            model, output, evalData, evalSamples, metric, budgets, random, method, groupSize, accounting,
        };
        data.AddTo(command);
        sensitivity.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, dir = parse.GetValue(output)!, evalSpec = parse.GetValue(evalData)!, metricName = parse.GetValue(metric)!;
            int group = parse.GetValue(groupSize) >= 0 ? parse.GetValue(groupSize) : throw new UsageException("--group-size must be 0 or positive.");
            int budgetCount = parse.GetValue(budgets) > 0 ? parse.GetValue(budgets) : throw new UsageException("--budgets must be positive.");
            int randomCount = parse.GetValue(random) >= 0 ? parse.GetValue(random) : throw new UsageException("--random must be 0 or positive.");
            if (parse.GetValue(evalSamples) is long es && es <= 0) throw new UsageException("--eval-samples must be positive.");
            if (dir.Length == 0) throw new UsageException("--output: the path is empty.");
            string png = Path.Combine(dir, "pareto.png"), md = Path.Combine(dir, "pareto.md");
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse), ("--eval-data", evalSpec)],
                [("the plot in --output", png), ("the table in --output", md), (OutputTransaction.CacheRole, SensitivityCache.PathFor(input))]);
            var sensitivityOptions = sensitivity.Bind(parse, data, group, new HashSet<string>(), new HashSet<string>());
            var onnx = outputs.LoadModel(input);
            data.CheckAgainst(parse, onnx, input);
            var evalOptions = new DataOptions { Preprocessing = data.Bind(parse, input).Preprocessing };
            Func<IReadOnlyList<ModelInputSpec>, IDataSource> openEval = inputs => DataSourceFactory.Open(evalSpec, evalOptions, inputs);
            if (metricName == "accuracy")
            {
                using var probe = openEval(Runtime.ModelInputs.Of(onnx));
                if (!probe.HasLabels) throw new UsageException($"--metric accuracy needs labels for {evalSpec} (none found beside it); use --metric top1_agreement to compare with the float model instead.");
            }
            var result = sensitivity.Measure(parse, input, onnx, sensitivityOptions, data);
            var sizeAccounting = parse.GetValue(accounting) == "nominal" ? SizeAccounting.Nominal : SizeAccounting.Stored;
            var planner = new MixedPrecisionPlanner(onnx, result, group, true, sizeAccounting, new HashSet<string>(), new HashSet<string>(), onnx.SizeOnDisk);
            string dataSpec = parse.GetValue(data.Data)!;
            var calibration = data.Bind(parse, input);
            var evaluator = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = parse.GetValue(evalSamples), EvalBatchSize = 250 });
            string temp = Directory.CreateTempSubdirectory("shrink-pareto-").FullName;
            try
            {
                double? reference = metricName == "accuracy" ? evaluator.Evaluate(input, null, openEval).Accuracy : null;
                int n = 0;
                (double, long) Measure(IReadOnlyDictionary<string, int> bits)
                {
                    var options = new WeightOnlyOptions { Method = parse.GetValue(method)!, GroupSize = group, LayerBits = bits, Bits = result.Bits.Max(), Samples = parse.GetValue(data.Samples) ?? 256, MeasureLayerErrors = false };
                    string path = Path.Combine(temp, $"point{++n}.onnx");
                    new WeightOnlyQuantizer(options).Quantize(onnx, inputs => DataSourceFactory.Open(dataSpec, calibration, inputs)).Model.Save(path);
                    var e = evaluator.Evaluate(path, metricName == "accuracy" ? null : input, openEval);
                    return (metricName == "accuracy" ? e.Accuracy!.Value : e.Top1Agreement!.Value, new FileInfo(path).Length);
                }
                var points = ConsoleOutput.WithProgress("pareto", progress => new ParetoSweep(planner, result.Bits).Run(Measure, budgetCount, randomCount, progress: progress));
                outputs.StageFile(png, "the plot in --output", path =>
                    ParetoPlot.Save(points, metricName.Replace('_', ' '), $"{Path.GetFileNameWithoutExtension(input)}: {metricName.Replace('_', ' ')} vs size ({string.Join("/", result.Bits)} bits, {(group == 0 ? "per channel" : $"groups of {group}")}, {parse.GetValue(method)})", path, reference));
                var table = new MarkdownTable("kind", "bits per layer", "planned bytes", "file bytes", metricName);
                foreach (var p in points.OrderBy(p => p.Bytes))
                    table.Add(p.Kind, string.Join(" ", p.LayerBits.Values), p.PredictedBytes.ToString("N0", CultureInfo.InvariantCulture), p.Bytes.ToString("N0", CultureInfo.InvariantCulture), p.Metric.ToString("F4", CultureInfo.InvariantCulture));
                var notes = new List<string>
                {
                    $"![accuracy vs size](pareto.png)",
                    $"Sensitivity: {result.Method}; bits per layer in graph order: {string.Join(", ", planner.Sizes.LayerBytes.Keys)}.",
                };
                if (reference is double fp32) notes.Add($"fp32 {metricName}: {fp32.ToString("F4", CultureInfo.InvariantCulture)}, {Format.Bytes(onnx.SizeOnDisk)}.");
                var section = new ReportSection("Accuracy against size", table, notes);
                outputs.StageText(md, ReportSection.ToMarkdown($"Mixed-precision sweep of `{Path.GetFileName(input)}`", [section]), "the table in --output");
                outputs.Commit();
                ConsoleOutput.Write(section);
                Console.Out.WriteLine($"wrote {png} and {md}");
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
