using System.Diagnostics;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Reports;

namespace Shrink.Bench;

/// <summary>Generates the two models in a temporary folder, measures them, and writes the report.</summary>
internal static class BenchRunner
{
    public const long ResNet50Reference = 25_500_000;
    public const long BertBaseReference = 110_000_000;
    private const int IoRepetitions = 3;
    private const double ParameterTolerance = 0.03;

    public static int Run(BenchOptions options)
    {
        var total = Stopwatch.StartNew();
        string work = Directory.CreateTempSubdirectory("shrink-bench-").FullName;
        Console.WriteLine($"Working in {work}{(options.Quick ? " (quick mode)" : "")}");
        var results = new List<ModelResult>();
        try
        {
            var meter = options.Quick
                ? new LatencyMeter { WarmupRuns = 1, Runs = 3 }
                : new LatencyMeter { WarmupRuns = 2, Runs = 0, TargetSeconds = 6, MinRuns = 3, MaxRuns = 10 };

            results.Add(Measure("ResNet-50", ResNet50Reference, () => ResNet50Generator.Build(), work, meter,
                [("batch 1", LatencyBenchmark.ImageBatch(ResNet50Generator.InputName, 1, 7)),
                 ("batch 8", LatencyBenchmark.ImageBatch(ResNet50Generator.InputName, 8, 8))],
                roundTrip: false));
            results.Add(Measure("BERT-base", BertBaseReference, () => BertBaseGenerator.Build(), work, meter,
                [("batch 1, seq 128", LatencyBenchmark.TokenBatch(BertBaseGenerator.InputName, 1, 128, BertBaseGenerator.VocabSize, 9)),
                 ("batch 8, seq 128", LatencyBenchmark.TokenBatch(BertBaseGenerator.InputName, 8, 128, BertBaseGenerator.VocabSize, 10))],
                roundTrip: true));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        string report = ResultsReport.Build(results, options.Quick, total.Elapsed.TotalSeconds);
        string? dir = Path.GetDirectoryName(options.OutputPath);
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(options.OutputPath, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Wrote {options.OutputPath} in {total.Elapsed.TotalSeconds:F1} s total; this process peaked at {(ProcStatus.PeakRssKiB() ?? 0) / 1024} MiB.");
        bool parametersOk = results.All(r => r.ParameterDeviation <= ParameterTolerance);
        bool roundTripOk = results.All(r => r.RoundTrip is null || r.RoundTrip.Mismatches.Count == 0);
        bool outputsOk = results.All(r => r.Latency.All(l => l.OutputsFinite));
        return parametersOk && roundTripOk && outputsOk ? 0 : 1;
    }

    private static ModelResult Measure(string name, long reference, Func<OnnxModel> build, string work, LatencyMeter meter,
        IReadOnlyList<(string Label, DataBatch Batch)> batches, bool roundTrip)
    {
        var modelWatch = Stopwatch.StartNew();
        Console.WriteLine($"{name}: generating");
        string path = Path.Combine(work, name.ToLowerInvariant().Replace('-', '_') + ".onnx");
        var (parameters, generate, trip) = GenerateAndSave(build, reference, path, work, roundTrip);
        long fileBytes = new FileInfo(path).Length;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

        var io = IoBenchmark.Run(path, work, IoRepetitions);
        Console.WriteLine($"  load {io.LoadSeconds:F2} s, save {io.SaveSeconds:F2} s, load+save {io.LoadSaveSeconds:F2} s (medians of {io.Repetitions}); child peak RSS {io.ChildPeakMiB:F0} MiB");
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

        var (rows, sessionSeconds) = LatencyBenchmark.Run(name, path, batches, meter);
        File.Delete(path);
        Console.WriteLine($"  {name} done in {modelWatch.Elapsed.TotalSeconds:F1} s");
        return new ModelResult(name, parameters, reference, fileBytes, generate, io, sessionSeconds, rows, trip);
    }

    // Builds the model, saves it to `path` and, when asked, checks an external-data round trip; the model is
    // garbage once this returns, so the measurements that follow start from a lean process.
    private static (long Parameters, double GenerateSeconds, RoundTripResult? Trip) GenerateAndSave(
        Func<OnnxModel> build, long reference, string path, string work, bool roundTrip)
    {
        var sw = Stopwatch.StartNew();
        var model = build();
        double generate = sw.Elapsed.TotalSeconds;
        long parameters = ParameterCount.Of(model);
        double deviation = Math.Abs(parameters - reference) / (double)reference;
        string verdict = deviation <= ParameterTolerance ? "within 3 %" : "NOT within 3 %";
        Console.WriteLine($"  {Format.Count(parameters)} parameters ({verdict} of {reference / 1e6:F1}M), {model.Graph.Nodes.Count} nodes, generated in {generate:F2} s");
        model.Save(path);
        Console.WriteLine($"  saved {Format.Bytes(new FileInfo(path).Length)}");
        RoundTripResult? trip = null;
        if (roundTrip)
        {
            trip = ExternalRoundTrip.Run(model, work, IoRepetitions);
            Console.WriteLine($"  external-data round trip: save {trip.SaveSeconds:F2} s, load {trip.LoadSeconds:F2} s, {trip.TensorsCompared} tensors compared, {trip.Mismatches.Count} mismatches");
        }
        return (parameters, generate, trip);
    }
}
