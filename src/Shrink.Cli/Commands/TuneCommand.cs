using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Reports;
using Shrink.Reports.Rendering;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink tune</c>: the smallest mixed-precision model whose measured accuracy drop stays within a limit.</summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the chosen model", Required = true };
        var maxDrop = new Option<double?>("--max-drop") { Description = "The largest metric drop allowed, in points (0.5 = half a percentage point), for a metric where higher is better (accuracy)" };
        var maxIncrease = new Option<string?>("--max-increase") { Description = "The largest relative increase allowed over the float model, in percent (0.5% or 0.5), for a metric where lower is better (perplexity)" };
        var maxTrials = new Option<int>("--max-trials") { Description = "The most quantize-and-evaluate trials", DefaultValueFactory = _ => 20 };
        var trials = new TrialArguments();
        var report = new Option<string?>("--report") { Description = "Write a Markdown report" };
        var json = CommonOptions.Json();
        var data = new DataArguments(dataRequired: true);
        var sensitivity = new SensitivityArguments();
        var command = new Command("tune", "Find the smallest mixed-precision model whose measured accuracy drop stays within --max-drop: ILP allocations on a ladder of size budgets, bisected by measured accuracy.")
        {
            model, output, maxDrop, maxIncrease, maxTrials, report, json,
        };
        trials.AddTo(command);
        data.AddTo(command);
        sensitivity.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, outPath = parse.GetValue(output)!, evalSpec = parse.GetValue(trials.EvalData)!;
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse), ("--eval-data", evalSpec)],
                [.. OutputTransaction.ModelOutputs(input, outPath), ("--report", parse.GetValue(report)), ("--json", parse.GetValue(json)), (OutputTransaction.CacheRole, SensitivityCache.PathFor(input))]);
            trials.CheckEvalSamples(parse);
            var metricLimit = TuneLimit.Bind(parse.GetValue(trials.Metric)!, trials.LowerIsBetter(parse), parse.GetValue(maxDrop), parse.GetValue(maxIncrease));
            double limit = metricLimit.Max;
            trials.Task(parse, data);
            int trialsCap = parse.GetValue(maxTrials) > 0 ? parse.GetValue(maxTrials) : throw new UsageException("--max-trials must be positive.");
            int group = trials.Group(parse);
            var (onnx, run, result) = trials.Begin(parse, data, sensitivity, outputs, input, group);
            string metricName = run.Metric;
            var planner = new MixedPrecisionPlanner(onnx, result, group, true, SizeAccounting.Stored, new HashSet<string>(), new HashSet<string>(), onnx.SizeOnDisk, new WeightOnlyOptions { GroupSize = group });
            string temp = Directory.CreateTempSubdirectory("shrink-tune-").FullName;
            try
            {
                double reference = run.ReferenceAccuracy() ?? 1.0;
                int n = 0;
                TrialOutcome Measure(IReadOnlyDictionary<string, int> bits)
                {
                    string trialPath = Path.Combine(temp, $"trial{++n}.onnx");
                    double metric = run.Evaluate(run.Quantize(bits, result.Bits.Max(), trialPath));
                    return new TrialOutcome(metric, OutputTransaction.StagedSize(trialPath));
                }
                var tuning = ConsoleOutput.WithProgress("tune", progress => new MixedPrecisionTuner(planner).Tune(Measure, reference, metricLimit, trialsCap, progress));
                var sections = TuningReport.Sections(tuning, metricName, planner.Sizes);
                string? target = parse.GetValue(json);
                if (target != "-") foreach (var s in sections) ConsoleOutput.Write(s);
                if (tuning.Best is null)
                    throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"No allocation of {string.Join("/", result.Bits)} bits kept the {metricName} {metricLimit.Kind} within {limit} {(metricLimit.LowerIsBetter ? "%" : "points")} in {tuning.Trials.Count} trial(s); nothing written."));
                long? outBytes = OutputTransaction.StagedSize(outputs.StageModelCopy(Path.Combine(temp, $"trial{tuning.Best.Index}.onnx"), input, outPath));
                string jsonText = JsonOutput.Serialize(TuneJson.From(tuning, planner.Sizes, input, outPath, metricName, limit, outBytes, onnx.SizeOnDisk));
                if (target is not null && target != "-") outputs.StageText(target, jsonText + "\n", "--json");
                string? reportPath = parse.GetValue(report);
                if (reportPath is not null)
                    outputs.StageText(reportPath, ReportFormat.Render(TuningReport.Build(tuning, metricName, planner.Sizes, input), reportPath), "--report");
                outputs.Commit();
                if (target == "-") Console.Out.WriteLine(jsonText);
                else Console.Out.WriteLine($"wrote {outPath}");
                if (reportPath is not null) ConsoleOutput.Note($"report written to {reportPath}");
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
