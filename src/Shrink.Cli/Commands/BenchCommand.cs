using System.CommandLine;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink bench</c>: latency of several models side by side, interleaved in one run, with ratios.</summary>
internal static class BenchCommand
{
    /// <summary>One model's timings in a bench run.</summary>
    internal sealed record BenchRow(string Model, int BatchSize, double MedianMs, double P90Ms, int Runs, double RatioToFirst, long SizeBytes);

    public static Command Create()
    {
        var models = new Argument<string[]>("MODEL") { Description = "Models to time (the first is the baseline of the ratios)", Arity = ArgumentArity.OneOrMore };
        var batches = CommonOptions.Batches("1,64");
        var threads = CommonOptions.Threads();
        var runs = CommonOptions.Runs();
        var warmup = CommonOptions.Warmup();
        var json = CommonOptions.Json();
        var data = new Option<string>("--data") { Description = "Input samples (default random:64 from the first model's input shapes)", DefaultValueFactory = _ => "random:64" };
        var inputShape = new Option<string[]>("--input-shape") { Description = "Fix symbolic dims for random data: name=1,3,48,320 (repeatable)" };
        var flushDenormals = CommonOptions.FlushDenormals();
        var command = new Command("bench", "Time models side by side in ONNX Runtime, interleaved run by run, and report medians, p90 and ratios.")
        {
            models, batches, threads, runs, warmup, json, data, inputShape, flushDenormals,
        };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(models)!;
            using var outputs = OutputTransaction.Begin([.. paths.Select(p => ("MODEL", (string?)p)), ("--data", parse.GetValue(data))], [("--json", parse.GetValue(json))]);
            var sizes = CommonOptions.ParseBatches(parse.GetValue(batches)!);
            var runtime = new RuntimeOptions { IntraOpThreads = CommonOptions.CheckThreads(parse.GetValue(threads)), FlushDenormals = parse.GetValue(flushDenormals) };
            var meter = new LatencyMeter { Runs = CommonOptions.NotNegative(parse.GetValue(runs), "--runs"), WarmupRuns = CommonOptions.NotNegative(parse.GetValue(warmup), "--warmup") };
            var sessions = new List<ModelSession>();
            try
            {
                foreach (var p in paths) sessions.Add(ModelSession.Open(p, runtime));
                var options = new DataOptions
                {
                    Preprocessing = Preprocessing.LoadSidecar(paths[0]) ?? new Preprocessing(),
                    ShapeOverrides = CommonOptions.ParseInputShapes(parse.GetValue(inputShape) ?? []),
                };
                // A language model's token windows (n tokens for n − 1 inputs and their targets) are timed as eval reads them.
                var described = OnnxModel.Load(paths[0], new ModelLoadOptions { LoadExternalData = false });
                if (!DataArguments.IsRandom(parse.GetValue(data)) && Shrink.Evaluation.Tasks.EvaluationTasks.Detect(ModelInputs.Of(described), described.Graph.Outputs).Name == "lm")
                    options = options with { NextTokenWindows = true };
                using var source = DataSourceFactory.Open(parse.GetValue(data)!, options, sessions[0].Inputs);
                var rows = ConsoleOutput.WithProgress("bench", progress =>
                {
                    var result = new List<BenchRow>();
                    int done = 0;
                    foreach (int b in sizes)
                    {
                        var first = source.ReadBatches(b, b).FirstOrDefault() ?? throw new ShrinkException($"{source.Description}: empty data set.");
                        var batch = BatchTiler.Tile(first, b);
                        var prepared = sessions.Select(s => s.Prepare(batch)).ToList();
                        try
                        {
                            var stats = meter.Measure(b, sessions.Zip(prepared).ToList());
                            for (int k = 0; k < stats.Count; k++)
                                result.Add(new BenchRow(paths[k], b, stats[k].MedianMs, stats[k].P90Ms, stats[k].Runs, stats[0].MedianMs / stats[k].MedianMs, new FileInfo(paths[k]).Length));
                        }
                        finally
                        {
                            foreach (var p in prepared) p.Dispose();
                        }
                        progress.Report(new ProgressInfo("timing", ++done, sizes.Length));
                    }
                    return result;
                });
                var table = new MarkdownTable("model", "batch", "median ms", "p90 ms", "speedup vs first", "runs");
                foreach (var r in rows)
                    table.Add(Path.GetFileName(r.Model), r.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Ms(r.MedianMs), Format.Ms(r.P90Ms), Format.Ratio(r.RatioToFirst), r.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture));
                string? target = parse.GetValue(json);
                if (target != "-")
                    ConsoleOutput.Write(new ReportSection("Latency", table, [$"ONNX Runtime {OrtInfo.Version}, CPU, {runtime.IntraOpThreads} intra-op thread(s); models interleaved run by run after warm-up; input from {source.Description}.",
                        .. CommonOptions.DenormalsNote(runtime.FlushDenormals, described) is string note ? [note] : Array.Empty<string>()]));
                JsonOutput.Write(target, new BenchJson(runtime.IntraOpThreads, OrtInfo.Version, rows, runtime.FlushDenormals && ModelSession.DenormalsFlushed == true));
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var s in sessions) s.Dispose();
            }
        });
        return command;
    }
}
