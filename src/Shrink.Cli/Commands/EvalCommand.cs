using System.CommandLine;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Reports;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink eval</c>: accuracy, fidelity to a reference, latency, size, parameters and MACs.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model to evaluate" };
        var reference = new Option<string?>("--reference") { Description = "A reference model (e.g. the fp32 original): fidelity per output, and latency timed side by side" };
        var batches = CommonOptions.Batches("1,64");
        var threads = CommonOptions.Threads();
        var flushDenormals = CommonOptions.FlushDenormals();
        var runs = CommonOptions.Runs();
        var warmup = CommonOptions.Warmup();
        var json = CommonOptions.Json();
        var report = new Option<string?>("--report") { Description = "Write a Markdown report to this file" };
        var noLatency = new Option<bool>("--no-latency") { Description = "Skip the timing" };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Activation memory one batch may take, e.g. 512M or 2G (default: half the available memory, at most 1G); the accuracy batch is lowered and larger latency batches skipped to fit" };
        var data = new DataArguments(dataRequired: false);
        var pipeline = new PipelineArguments(evaluation: true);
        var command = new Command("eval", "Measure a model: its task's metrics (top-1/top-5 accuracy, perplexity, embedding similarity, errors), fidelity to a reference, latency, size, parameters and MACs.")
        {
            model, reference, batches, threads, flushDenormals, runs, warmup, json, report, noLatency, memoryLimit,
        };
        data.AddTo(command);
        pipeline.AddTo(command);
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!;
            string? referencePath = parse.GetValue(reference);
            if (pipeline.Given(parse))
                return DiffusionEvalAction.Run(parse, pipeline, data, modelPath, referencePath, parse.GetValue(threads), parse.GetValue(json), parse.GetValue(report));
            pipeline.RefuseWithout(parse);
            if (parse.GetValue(data.Data) is null) throw new UsageException("Option '--data' is required (or --pipeline, for a diffusion model run in its sampler).");
            using var outputs = OutputTransaction.Begin([("MODEL", modelPath), ("--reference", referencePath), .. data.InputPaths(parse)],
                [("--report", parse.GetValue(report)), ("--json", parse.GetValue(json))]);
            // The evaluator itself reads a language model's windows as input and targets (--task lm).
            // Text for --task lm is cut into windows one token longer than the model's input, as quantize reads it.
            var dataOptions = data.Bind(parse, modelPath, referencePath);
            dataOptions = dataOptions with
            {
                NextTokenWindows = false,
                FileReader = dataOptions.NextTokenWindows ? dataOptions.FileReader?.ForNextTokenWindows() : dataOptions.FileReader,
            };
            // The evaluator loads the model itself; read only its graph here (no tensor data), and only when an option names its inputs.
            if (data.NamesInputs(parse)) data.CheckAgainst(parse, Shrink.Model.OnnxModel.Load(modelPath, new Shrink.Model.ModelLoadOptions { LoadExternalData = false }), modelPath);
            string dataSpec = parse.GetValue(data.Data)!;
            var options = new EvaluationOptions
            {
                LatencyBatchSizes = parse.GetValue(noLatency) ? [] : CommonOptions.ParseBatches(parse.GetValue(batches)!),
                Runtime = new RuntimeOptions { IntraOpThreads = CommonOptions.CheckThreads(parse.GetValue(threads)), FlushDenormals = parse.GetValue(flushDenormals) },
                MaxSamples = parse.GetValue(data.Samples),
                Task = parse.GetValue(data.TaskName),
                MemoryLimitBytes = QuantizeCommand.MemoryLimit(parse.GetValue(memoryLimit)),
                Latency = new LatencyMeter { Runs = CommonOptions.NotNegative(parse.GetValue(runs), "--runs"), WarmupRuns = CommonOptions.NotNegative(parse.GetValue(warmup), "--warmup") },
            };
            var result = ConsoleOutput.WithProgress("eval", progress =>
                new ModelEvaluator(options).Evaluate(modelPath, referencePath, inputs => DataSourceFactory.Open(dataSpec, dataOptions, inputs), progress));
            string? jsonTarget = parse.GetValue(json);
            if (jsonTarget is not null && jsonTarget != "-") outputs.StageText(jsonTarget, JsonOutput.Serialize(result) + "\n", "--json");
            string? reportPath = parse.GetValue(report);
            if (reportPath is not null) outputs.StageText(reportPath, EvaluationReport.ToMarkdown(result), "--report");
            outputs.Commit();
            if (jsonTarget != "-")
            {
                Console.Out.WriteLine($"{modelPath}" + (referencePath is null ? "" : $" vs reference {referencePath}"));
                foreach (var section in EvaluationReport.Sections(result)) ConsoleOutput.Write(section);
                var timed = parse.GetValue(noLatency) ? null : Shrink.Model.OnnxModel.Load(modelPath, new Shrink.Model.ModelLoadOptions { LoadExternalData = false });
                if (CommonOptions.DenormalsNote(parse.GetValue(flushDenormals), timed) is string note) Console.Out.WriteLine($"  {note}");
            }
            else
            {
                Console.Out.WriteLine(JsonOutput.Serialize(result));
            }
            if (reportPath is not null) ConsoleOutput.Note($"report written to {reportPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
