using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>int8</c>: Shrink's int8 post-training quantization on the reference models, with PyTorch's own int8 measured in
/// the same run (bench/torch_int8.py), written to bench/RESULTS-int8.md.
/// </summary>
internal static class Int8Benchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";
    private static readonly string Calibration = Path.Combine(Fmnist, "train-images-idx3-ubyte.gz");
    private static readonly string Test = Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz");

    private sealed record Row(string Model, string Mode, string Calibrator, double Fp32, double Int8, double Agreement,
        IReadOnlyDictionary<string, double>? Fp32Ms, IReadOnlyDictionary<string, double>? Int8Ms, IReadOnlyDictionary<string, double>? Speedup,
        long Fp32Bytes, long Int8Bytes, int IntegerKernels, int Unfused, double ToolSeconds);

    public static int Run(bool quick, string outPath)
    {
        string root = RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        if (!Directory.Exists(models) || !File.Exists(Test))
        {
            Console.Error.WriteLine($"needs {models} and {Fmnist} (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-int8-bench-").FullName;
        try
        {
            var rows = new List<Row>();
            (string Model, string Mode, string[] Calibrators)[] cases =
            [
                ("cnn_small", "static", ["mse", "minmax", "percentile", "entropy"]),
                ("resnet8", "static", ["mse", "minmax", "percentile", "entropy"]),
                ("vit_tiny", "static", ["mse"]),
                ("vit_tiny", "dynamic", ["–"]),
            ];
            foreach (var (name, mode, calibrators) in cases)
            {
                foreach (var calibrator in calibrators)
                {
                    Console.WriteLine($"{name} {mode} {calibrator}");
                    rows.Add(Measure(models, temp, name, mode, calibrator, timeLatency: calibrator is "mse" or "–", quick));
                }
            }
            var tool = ToolTime(models, quick);
            var memory = Memory(models, quick);
            var torch = Torch(root, models);
            string report = Report(rows, tool, memory, torch, quick, clock.Elapsed.TotalSeconds);
            AtomicFile.WriteAllText(outPath, report);
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string data, string model) =>
        inputs => DataSourceFactory.Open(data, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(model)! }, inputs);

    private static Row Measure(string models, string temp, string name, string mode, string calibrator, bool timeLatency, bool quick)
    {
        string fp32 = Path.Combine(models, name + ".onnx");
        var model = OnnxModel.Load(fp32);
        var sw = Stopwatch.StartNew();
        var result = mode == "dynamic"
            ? new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model)
            : new StaticQuantizer(new StaticQuantizationOptions { Calibration = calibrator, AnalysisSamples = 0 }).Quantize(model, Open(Calibration, fp32));
        double tool = result.CalibrationSeconds + result.RewriteSeconds;
        string path = Path.Combine(temp, $"{name}.{mode}.{calibrator}.onnx");
        result.Model.Save(path);
        var options = new EvaluationOptions
        {
            LatencyBatchSizes = timeLatency ? [1, 64] : [],
            MaxSamples = quick ? 2000 : null,
            EvalBatchSize = 500,
            Runtime = new RuntimeOptions { IntraOpThreads = 1 },
            Latency = new LatencyMeter { Runs = quick ? 20 : 200, WarmupRuns = 10 },
        };
        var eval = new ModelEvaluator(options).Evaluate(path, fp32, Open(Test, fp32));
        return new Row(name, mode, calibrator, eval.ReferenceAccuracy!.Value, eval.Accuracy!.Value, eval.Top1Agreement ?? 0,
            timeLatency ? eval.ReferenceLatencyMs : null, timeLatency ? eval.LatencyMs : null, timeLatency ? eval.Speedup : null,
            new FileInfo(fp32).Length, new FileInfo(path).Length, result.Fusion?.IntegerKernels ?? 0, result.Fusion?.Unfused.Count ?? 0, tool);
    }

    private static Dictionary<string, double> ToolTime(string models, bool quick)
    {
        string fp32 = Path.Combine(models, "resnet8.onnx");
        var model = OnnxModel.Load(fp32);
        var medians = new Dictionary<string, double>();
        foreach (var calibrator in new[] { "minmax", "mse" })
        {
            var times = new List<double>();
            for (int i = 0; i < (quick ? 2 : 4); i++)
            {
                var r = new StaticQuantizer(new StaticQuantizationOptions { Calibration = calibrator, AnalysisSamples = 0 }).Quantize(model, Open(Calibration, fp32));
                if (i > 0) times.Add(r.CalibrationSeconds + r.RewriteSeconds); // the first run warms up the JIT
            }
            medians[calibrator] = Stats.Median(times);
        }
        return medians;
    }

    private static Dictionary<int, double> Memory(string models, bool quick)
    {
        var peaks = new Dictionary<int, double>();
        foreach (int samples in new[] { 512, 4096 })
        {
            var worst = Enumerable.Range(0, quick ? 1 : 3)
                .Select(_ => ChildProcess.Run("quantizemem", Path.Combine(models, "resnet8.onnx"), Calibration, samples.ToString(CultureInfo.InvariantCulture)).Values["peak_kib"])
                .Max();
            peaks[samples] = worst / 1024;
        }
        return peaks;
    }

    private static JsonElement? Torch(string root, string models) =>
        PythonScript.RunJson(Path.Combine(root, "bench", "torch_int8.py"), root, models);

    private static string Report(List<Row> rows, Dictionary<string, double> tool, Dictionary<int, double> memory, JsonElement? torch, bool quick, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink int8 post-training quantization benchmark").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- int8{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors.").AppendLine();
        sb.AppendLine(c, $"Models: `../shared/models`. Calibration: the first 512 Fashion-MNIST training images. Accuracy: {(quick ? "the first 2,000" : "all 10,000")} test images. Latency: ONNX Runtime {OrtInfo.Version}, CPU, **one intra-op thread**, int8 and fp32 interleaved run by run, medians. The machine is a shared, noisy 2-core VM: differences under ~10 % are noise.").AppendLine();

        sb.AppendLine("## Accuracy, size and fusion").AppendLine();
        sb.AppendLine("| model | mode | calibration | fp32 | int8 | drop (pt) | top-1 agreement | int8 / fp32 size | integer kernels | unfused |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(c, $"| {r.Model} | {r.Mode} | {r.Calibrator} | {r.Fp32:F4} | {r.Int8:F4} | {100 * (r.Fp32 - r.Int8):+0.00;-0.00;0.00} | {100 * r.Agreement:F2} % | {(double)r.Int8Bytes / r.Fp32Bytes:F2}× | {r.IntegerKernels} | {r.Unfused} |");
        sb.AppendLine();

        sb.AppendLine("## Latency (ms, median, 1 intra-op thread)").AppendLine();
        sb.AppendLine("| model | mode | fp32 b1 | int8 b1 | speedup b1 | fp32 b64 | int8 b64 | speedup b64 | PyTorch fp32 → int8 b64 (1 thread) | PyTorch b64 (2 threads) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows.Where(r => r.Speedup is not null))
        {
            string t1 = "–", t2 = "–";
            if (torch is { } t && t.TryGetProperty(r.Model, out var m))
            {
                var a = m.GetProperty("lat_ms_t1_b64");
                var b = m.GetProperty("lat_ms_t2_b64");
                t1 = string.Create(c, $"{a.GetProperty("fp32").GetDouble():F2} → {a.GetProperty("int8").GetDouble():F2}");
                t2 = string.Create(c, $"{b.GetProperty("fp32").GetDouble():F2} → {b.GetProperty("int8").GetDouble():F2}");
            }
            sb.AppendLine(c, $"| {r.Model} | {r.Mode} | {r.Fp32Ms!["1"]:F3} | {r.Int8Ms!["1"]:F3} | {r.Speedup!["1"]:F2}× | {r.Fp32Ms["64"]:F3} | {r.Int8Ms["64"]:F3} | {r.Speedup["64"]:F2}× | {t1} | {t2} |");
        }
        sb.AppendLine();

        sb.AppendLine("## PyTorch on the same models, same run").AppendLine();
        if (torch is { } tj)
        {
            sb.AppendLine(c, $"PyTorch {tj.GetProperty("torch").GetString()}, engine {tj.GetProperty("engine").GetString()} (bench/torch_int8.py).").AppendLine();
            sb.AppendLine("| model | PyTorch int8 | fp32 | int8 | prepare+calibrate+convert s |");
            sb.AppendLine("|---|---|---|---|---|");
            foreach (var name in new[] { "cnn_small", "resnet8", "vit_tiny" })
            {
                var m = tj.GetProperty(name);
                sb.AppendLine(c, $"| {name} | {m.GetProperty("mode").GetString()} | {m.GetProperty("fp32_acc").GetDouble():F4} | {m.GetProperty("int8_acc").GetDouble():F4} | {m.GetProperty("quantize_s").GetDouble():F3} |");
            }
        }
        else sb.AppendLine("PyTorch was not available (`apt-get install python3-torch libopenblas0-pthread`); its figures are missing from this run.");
        sb.AppendLine();

        double torchTool = torch is { } tt ? tt.GetProperty("resnet8").GetProperty("quantize_s").GetDouble() : double.NaN;
        sb.AppendLine("## Tool time and memory (resnet8, 512 calibration samples)").AppendLine();
        sb.AppendLine("| what | value |");
        sb.AppendLine("|---|---|");
        foreach (var (cal, s) in tool)
            sb.AppendLine(c, $"| Shrink calibration + rewrite, {cal}, in process (median, JIT warm) | {s:F3} s ({s / torchTool:F2}× PyTorch) |");
        sb.AppendLine(c, $"| PyTorch FX prepare + calibrate + convert | {torchTool:F3} s |");
        sb.AppendLine(c, $"| peak RSS of a fresh process quantizing with 512 samples | {memory[512]:F0} MB |");
        sb.AppendLine(c, $"| peak RSS with 4,096 samples | {memory[4096]:F0} MB ({100 * (memory[4096] / memory[512] - 1):+0.0;-0.0} %) |");
        sb.AppendLine();

        sb.AppendLine("## Targets").AppendLine();
        Row Best(string model) => rows.First(r => r.Model == model && r.Mode == "static" && r.Calibrator == "mse");
        double TorchAcc(string model) => torch is { } x ? x.GetProperty(model).GetProperty("int8_acc").GetDouble() : double.NaN;
        foreach (var name in new[] { "cnn_small", "resnet8" })
        {
            var r = Best(name);
            double drop = 100 * (r.Fp32 - r.Int8), gap = 100 * (TorchAcc(name) - r.Int8);
            sb.AppendLine(c, $"- {name} static int8 (default mse): drop {drop:F2} pt (target ≤ 0.3: {Met(drop <= 0.3)}); {gap:F2} pt below PyTorch's {TorchAcc(name):F4} (target ≤ 0.1: {Met(gap <= 0.1)}); speedup at batch 64 {r.Speedup!["64"]:F2}× (target ≥ 1.5: {Met(r.Speedup["64"] >= 1.5)}); size {(double)r.Int8Bytes / r.Fp32Bytes:F2}× ({(name == "cnn_small" ? $"target ≤ 0.3: {Met((double)r.Int8Bytes / r.Fp32Bytes <= 0.3)}" : "77k parameters: the ≤ 0.3× size target applies to models over 100k")}).");
        }
        var vs = rows.First(r => r.Model == "vit_tiny" && r.Mode == "static");
        var vd = rows.First(r => r.Model == "vit_tiny" && r.Mode == "dynamic");
        sb.AppendLine(c, $"- vit_tiny static (fragile ops in float): drop {100 * (vs.Fp32 - vs.Int8):F2} pt (target ≤ 0.5: {Met(100 * (vs.Fp32 - vs.Int8) <= 0.5)}); dynamic: drop {100 * (vd.Fp32 - vd.Int8):F2} pt (target ≤ 0.1: {Met(100 * (vd.Fp32 - vd.Int8) <= 0.1)}).");
        sb.AppendLine(c, $"- Tool time, resnet8, mse: {tool["mse"] / torchTool:F2}× PyTorch (target ≤ 2: {Met(tool["mse"] / torchTool <= 2)}); minmax: {tool["minmax"] / torchTool:F2}×.");
        sb.AppendLine(c, $"- Memory, 512 → 4,096 calibration samples: {100 * (memory[4096] / memory[512] - 1):+0.0;-0.0} % (target ≤ 10 %: {Met(memory[4096] / memory[512] - 1 <= 0.10)}).");
        return sb.ToString();
    }

    private static string Met(bool met) => met ? "met" : "**missed**";

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Shrink.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
