using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink tune</c>: the smallest mixed-precision model whose measured accuracy drop stays within a limit.</summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the chosen model", Required = true };
        var maxDrop = new Option<double>("--max-drop") { Description = "The largest metric drop allowed, in points (0.5 = half a percentage point)", Required = true };
        var evalData = new Option<string>("--eval-data") { Description = "Evaluation samples (labelled for --metric accuracy)", Required = true };
        var evalSamples = new Option<long?>("--eval-samples") { Description = "Evaluate on at most this many samples" };
        var metric = new Option<string>("--metric") { Description = "accuracy (needs labels) or top1_agreement (with the float model)", DefaultValueFactory = _ => "accuracy" };
        metric.AcceptOnlyFromAmong("accuracy", "top1_agreement");
        var maxTrials = new Option<int>("--max-trials") { Description = "The most quantize-and-evaluate trials", DefaultValueFactory = _ => 20 };
        var method = new Option<string>("--method") { Description = "Rounding: rtn (default) or gptq", DefaultValueFactory = _ => "rtn" };
        method.AcceptOnlyFromAmong("rtn", "gptq");
        var groupSize = new Option<int>("--group-size") { Description = "Columns per scale (0: per output channel)", DefaultValueFactory = _ => 32 };
        var report = new Option<string?>("--report") { Description = "Write a Markdown report" };
        var json = CommonOptions.Json();
        var data = new DataArguments(dataRequired: true);
        var sensitivity = new SensitivityArguments();
        var command = new Command("tune", "Find the smallest mixed-precision model whose measured accuracy drop stays within --max-drop: ILP allocations on a ladder of size budgets, bisected by measured accuracy.")
        {
            model, output, maxDrop, evalData, evalSamples, metric, maxTrials, method, groupSize, report, json,
        };
        data.AddTo(command);
        sensitivity.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, outPath = parse.GetValue(output)!, evalSpec = parse.GetValue(evalData)!, metricName = parse.GetValue(metric)!;
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse), ("--eval-data", evalSpec)],
                [.. OutputTransaction.ModelOutputs(input, outPath), ("--report", parse.GetValue(report)), ("--json", parse.GetValue(json)), (OutputTransaction.CacheRole, SensitivityCache.PathFor(input))]);
            if (parse.GetValue(evalSamples) is long es && es <= 0) throw new UsageException("--eval-samples must be positive.");
            double limit = parse.GetValue(maxDrop);
            if (!(limit >= 0)) throw new UsageException("--max-drop must be 0 or positive.");
            int trialsCap = parse.GetValue(maxTrials) > 0 ? parse.GetValue(maxTrials) : throw new UsageException("--max-trials must be positive.");
            int group = parse.GetValue(groupSize) >= 0 ? parse.GetValue(groupSize) : throw new UsageException("--group-size must be 0 or positive.");
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
            var planner = new MixedPrecisionPlanner(onnx, result, group, true, SizeAccounting.Stored, new HashSet<string>(), new HashSet<string>(), onnx.SizeOnDisk);
            string dataSpec = parse.GetValue(data.Data)!;
            var calibration = data.Bind(parse, input);
            var evaluator = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = parse.GetValue(evalSamples), EvalBatchSize = 250 });
            string temp = Directory.CreateTempSubdirectory("shrink-tune-").FullName;
            try
            {
                double reference = metricName == "accuracy" ? evaluator.Evaluate(input, null, openEval).Accuracy!.Value : 1.0;
                string Quantize(IReadOnlyDictionary<string, int> bits, string path)
                {
                    var options = new WeightOnlyOptions { Method = parse.GetValue(method)!, GroupSize = group, LayerBits = bits, Bits = result.Bits.Max(), Samples = parse.GetValue(data.Samples) ?? 256, MeasureLayerErrors = false };
                    new WeightOnlyQuantizer(options).Quantize(onnx, inputs => DataSourceFactory.Open(dataSpec, calibration, inputs)).Model.Save(path);
                    return path;
                }
                int n = 0;
                double Measure(IReadOnlyDictionary<string, int> bits)
                {
                    string path = Quantize(bits, Path.Combine(temp, $"trial{++n}.onnx"));
                    var e = evaluator.Evaluate(path, metricName == "accuracy" ? null : input, openEval);
                    return metricName == "accuracy" ? e.Accuracy!.Value : e.Top1Agreement!.Value;
                }
                var tuning = ConsoleOutput.WithProgress("tune", progress => new MixedPrecisionTuner(planner).Tune(Measure, reference, limit, trialsCap, progress));
                var sections = TuningReport.Sections(tuning, metricName, planner.Sizes);
                string? target = parse.GetValue(json);
                if (target != "-") foreach (var s in sections) ConsoleOutput.Write(s);
                if (tuning.Best is null)
                    throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"No allocation of {string.Join("/", result.Bits)} bits kept the {metricName} drop within {limit} points in {tuning.Trials.Count} trial(s); nothing written."));
                long? outBytes = OutputTransaction.StagedSize(outputs.StageModelCopy(Path.Combine(temp, $"trial{tuning.Best.Index}.onnx"), input, outPath));
                string jsonText = JsonOutput.Serialize(new
                {
                    model = input,
                    output = outPath,
                    metric = metricName,
                    reference = tuning.ReferenceMetric,
                    max_drop = limit,
                    size_bytes = outBytes,
                    input_size_bytes = onnx.SizeOnDisk,
                    uniform_int8_bytes = planner.Sizes.LayerBytes.Values.First().ContainsKey(8) ? planner.Sizes.UniformBytes(8) : (long?)null,
                    trials = tuning.Trials,
                    chosen = tuning.Best?.Index,
                });
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
