using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>weightonly</c>: weight-only low-bit quantization on the reference models (RTN reproduction against PyTorch's
/// figures, GPTQ against the targets), GPTQ speed on a 4096×4096 layer against a PyTorch GPTQ timed in the same run, and
/// MatMulNBits latency, written to bench/RESULTS-weightonly.md.
/// </summary>
internal static partial class WeightOnlyBenchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";
    private static readonly string Calibration = Path.Combine(Fmnist, "train-images-idx3-ubyte.gz");
    private static readonly string Test = Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz");

    private sealed record AccuracyRow(string Model, string Setting, double Accuracy, double? Reference, string ReferenceLabel, double? Target, string TargetLabel, double WeightRatio, double Seconds);

    public static int Run(bool quick, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        string baselines = Path.GetFullPath(Path.Combine(root, "..", "shared", "baselines"));
        if (!Directory.Exists(models) || !File.Exists(Test))
        {
            Console.Error.WriteLine($"needs {models} and {Fmnist} (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-weightonly-bench-").FullName;
        try
        {
            var rtnReference = JsonDocument.Parse(File.ReadAllText(Path.Combine(baselines, "results", "rtn_anchor_results.json"))).RootElement;
            var rtnRows = new List<AccuracyRow>();
            foreach (string name in new[] { "cnn_small", "resnet8", "vit_tiny" })
            {
                foreach (int bits in new[] { 4, 3, 2 })
                {
                    foreach (int group in new[] { 0, 32 })
                    {
                        var options = new WeightOnlyOptions { Bits = bits, GroupSize = group, Method = "rtn" };
                        double reference = rtnReference.GetProperty(name).GetProperty($"w{bits}_{(group == 0 ? "perchannel" : "g32")}_acc").GetDouble();
                        rtnRows.Add(Accuracy(models, temp, name, options, $"RTN {bits}-bit {(group == 0 ? "per channel" : "g32")}", reference, "PyTorch RTN", group == 0 ? reference - 0.003 : null, "≥ PyTorch − 0.3 pt", quick, null));
                        Console.WriteLine($"{rtnRows[^1].Model} {rtnRows[^1].Setting}: {rtnRows[^1].Accuracy:F4} (PyTorch {reference:F4})");
                    }
                }
            }

            var gptqRows = new List<AccuracyRow>();
            (string Model, int Bits, double Probe, double Target)[] targets =
            [
                ("vit_tiny", 4, 0.8760, 0.8768 - 0.001),
                ("vit_tiny", 3, 0.8739, 0.8768 - 0.0025),
                ("vit_tiny", 2, 0.7928, 0.81),
                ("resnet8", 3, 0.9092, 0.912),
            ];
            foreach (var (name, bits, probe, target) in targets)
            {
                var full = new WeightOnlyOptions { Bits = bits, GroupSize = 32, Method = "gptq" };
                (string Label, WeightOnlyOptions Options)[] variants =
                [
                    ("textbook (no act-order, abs-max scales, float weights as targets)", full with { ActOrder = false, ClipSteps = 1, TargetFloatOutputs = false }),
                    ("+ act-order, Hessian-weighted clip search", full with { TargetFloatOutputs = false }),
                    ("+ float-model outputs as targets (default)", full),
                ];
                foreach (var (label, variant) in variants)
                {
                    gptqRows.Add(Accuracy(models, temp, name, variant, $"GPTQ {bits}-bit g32, {label}", probe, "PyTorch GPTQ probe", target, "target", quick, Calibration));
                    Console.WriteLine($"{gptqRows[^1].Model} {gptqRows[^1].Setting}: {gptqRows[^1].Accuracy:F4}");
                }
            }

            var speed = Speed(quick, baselines);
            var runtime = Runtime(models, temp, quick);
            string report = Report(rtnRows, gptqRows, speed, runtime, quick, clock.Elapsed.TotalSeconds);
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

    private static AccuracyRow Accuracy(string models, string temp, string name, WeightOnlyOptions options, string setting, double? reference, string referenceLabel,
        double? target, string targetLabel, bool quick, string? calibration)
    {
        string fp32 = Path.Combine(models, name + ".onnx");
        var sw = Stopwatch.StartNew();
        var result = new WeightOnlyQuantizer(options with { Samples = 256, MeasureLayerErrors = false }).Quantize(OnnxModel.Load(fp32), calibration is null ? null : Open(calibration, fp32));
        double seconds = sw.Elapsed.TotalSeconds;
        string path = Path.Combine(temp, $"{name}.w{options.Bits}.onnx");
        result.Model.Save(path);
        var eval = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = quick ? 2000 : null, EvalBatchSize = 500 }).Evaluate(path, null, Open(Test, fp32));
        return new AccuracyRow(name, setting, eval.Accuracy!.Value, reference, referenceLabel, target, targetLabel, (double)result.QuantizedWeightBytes / result.FloatWeightBytes, seconds);
    }

    private sealed record SpeedResult(int N, int Rows, double HessianSeconds, double BlockedSeconds, double UnblockedSeconds, double? TorchSeconds, string TorchLine);

    private static SpeedResult Speed(bool quick, string baselines)
    {
        int n = quick ? 1024 : 4096, rows = quick ? 512 : 2048;
        var rng = new Random(0);
        var w = new float[n * n];
        var x = new float[rows * n];
        for (int i = 0; i < w.Length; i++) w[i] = Gaussian(rng);
        for (int i = 0; i < x.Length; i++) x[i] = Gaussian(rng);
        var settings = new WeightRoundingSettings { Grid = new(4, true), GroupSize = 128, ClipSteps = 1, ActOrder = false, BlockSize = 128 };
        double hessian = 0, blocked = 0;
        var times = new List<(double H, double Total)>();
        for (int run = 0; run < 3; run++)
        {
            var sw = Stopwatch.StartNew();
            var h = new float[n * n];
            DenseMatrix.Gemm(true, false, n, n, rows, 2f / rows, x, 0, n, x, 0, n, 0f, h, 0, n);
            double th = sw.Elapsed.TotalSeconds;
            new GptqRounding().Round(w, n, n, h, settings);
            times.Add((th, sw.Elapsed.TotalSeconds));
            Console.WriteLine($"GPTQ {n}x{n}: hessian {th:F2} s, total {sw.Elapsed.TotalSeconds:F2} s");
        }
        hessian = Stats.Median(times.Select(t => t.H).ToList());
        blocked = Stats.Median(times.Select(t => t.Total).ToList());
        var sw2 = Stopwatch.StartNew();
        var h2 = new float[n * n];
        DenseMatrix.Gemm(true, false, n, n, rows, 2f / rows, x, 0, n, x, 0, n, 0f, h2, 0, n);
        new GptqRounding().Round(w, n, n, h2, settings with { BlockSize = n });
        double unblocked = sw2.Elapsed.TotalSeconds;
        Console.WriteLine($"GPTQ unblocked: {unblocked:F2} s");

        double? torch = null;
        string line = PythonScript.Run(Path.Combine(baselines, "gptq_anchor.py"), null, n.ToString(CultureInfo.InvariantCulture), rows.ToString(CultureInfo.InvariantCulture))?.Trim() ?? "not run";
        var m = TotalSeconds().Match(line);
        if (m.Success) torch = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Console.WriteLine(line);
        return new SpeedResult(n, rows, hessian, blocked, unblocked, torch, line);
    }

    private static float Gaussian(Random rng) => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    [GeneratedRegex(@"total ([0-9.]+) s")]
    private static partial Regex TotalSeconds();

    private sealed record RuntimeRow(string Model, string Format, IReadOnlyDictionary<string, double> Fp32Ms, IReadOnlyDictionary<string, double> QuantizedMs, IReadOnlyDictionary<string, double> Speedup, double MaxRelativeError, long Fp32Bytes, long QuantizedBytes);

    // MatMulNBits latency against fp32, and the output against the float model holding the dequantized weights.
    private static List<RuntimeRow> Runtime(string models, string temp, bool quick)
    {
        var rows = new List<RuntimeRow>();
        string mlp = Path.Combine(temp, "mlp4x1024.onnx");
        GraphBuilder.Mlp(4, 1024).Save(mlp);
        foreach (var (model, label, data) in new[] { (mlp, "MLP 4×(1024×1024), random weights", "random:64"), (Path.Combine(models, "vit_tiny.onnx"), "vit_tiny", Test) })
        {
            foreach (bool int8Activations in new[] { false, true })
            {
                var options = new WeightOnlyOptions { Bits = 4, GroupSize = 32, Method = "rtn", ExcludeOps = new HashSet<string> { "Conv" }, Export = new WeightExportSettings { Int8Activations = int8Activations } };
                var result = new WeightOnlyQuantizer(options).Quantize(OnnxModel.Load(model), null);
                string path = Path.Combine(temp, $"{Path.GetFileNameWithoutExtension(model)}.nbits{(int8Activations ? ".a8" : "")}.onnx");
                result.Model.Save(path);
                Func<IReadOnlyList<ModelInputSpec>, IDataSource> open = data.StartsWith("random:", StringComparison.Ordinal)
                    ? inputs => DataSourceFactory.Open(data, new DataOptions { Seed = 1 }, inputs)
                    : Open(data, model);
                var eval = new ModelEvaluator(new EvaluationOptions
                {
                    LatencyBatchSizes = [1, 64],
                    MaxSamples = 256,
                    SkipAccuracy = true,
                    Runtime = new RuntimeOptions { IntraOpThreads = 1 },
                    Latency = new LatencyMeter { Runs = quick ? 20 : 200, WarmupRuns = 10 },
                }).Evaluate(path, model, open);
                double error = MaxRelativeError(model, result, open);
                rows.Add(new RuntimeRow(label, int8Activations ? "MatMulNBits 4-bit g32, int8 activations (accuracy_level 4)" : "MatMulNBits 4-bit g32", eval.ReferenceLatencyMs!, eval.LatencyMs!, eval.Speedup!, error, new FileInfo(model).Length, new FileInfo(path).Length));
                Console.WriteLine($"{label} {rows[^1].Format}: b1 {eval.Speedup!["1"]:F2}x, b64 {eval.Speedup["64"]:F2}x, max rel error {error:G3}");
            }
        }
        return rows;
    }

    // Largest |y − y_ref| / max|y_ref| over 64 samples, y_ref from the float model with the dequantized weights.
    private static double MaxRelativeError(string model, WeightOnlyResult result, Func<IReadOnlyList<ModelInputSpec>, IDataSource> open)
    {
        var prepared = result.DequantizedReference(OnnxModel.Load(model));
        using var a = ModelSession.Open(prepared, new RuntimeOptions { IntraOpThreads = 1 });
        using var b = ModelSession.Open(result.Model, new RuntimeOptions { IntraOpThreads = 1 });
        using var data = open(a.Inputs);
        var batch = data.ReadBatches(64, 64).First();
        var ya = a.Run(batch)[0].Data;
        var yb = b.Run(batch)[0].Data;
        double scale = ya.Max(Math.Abs), worst = 0;
        for (int i = 0; i < ya.Length; i++) worst = Math.Max(worst, Math.Abs(ya[i] - yb[i]) / scale);
        return worst;
    }

    private static string Report(List<AccuracyRow> rtn, List<AccuracyRow> gptq, SpeedResult speed, List<RuntimeRow> runtime, bool quick, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink weight-only quantization benchmark").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- weightonly{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors, ONNX Runtime {OrtInfo.Version}.").AppendLine();
        sb.AppendLine(c, $"Models: `../shared/models`. Accuracy: {(quick ? "the first 2,000" : "all 10,000")} Fashion-MNIST test images, run in ONNX Runtime from the exported model (MatMulNBits / DequantizeLinear). GPTQ calibration: the first 256 training images. Symmetric grids throughout; every Conv, Gemm and MatMul weight is quantized, the first and last layers included.").AppendLine();
        sb.AppendLine("## Round-to-nearest reproduces PyTorch's figures").AppendLine();
        sb.AppendLine("Same rounding as `../shared/baselines/rtn_anchor.py` (abs-max / (2^(b−1)−1), levels −2^(b−1)..2^(b−1)−1). Target: per channel within 0.3 pt of PyTorch. BatchNormalization is folded in the ONNX weights; per-channel and per-row-group scales are invariant to that. Groups of 32 differ where a layer's K is not a multiple of 32 (resnet8's 1-channel stem, K = 9, and its first-stage 3×3 convs, K = 144): the PyTorch script then falls back to one scale per channel, while Shrink keeps groups of 32 and a shorter last group.").AppendLine();
        sb.AppendLine("| model | setting | Shrink | PyTorch | difference (pt) | weight bytes / fp32 |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in rtn)
            sb.AppendLine(c, $"| {r.Model} | {r.Setting} | {r.Accuracy:F4} | {r.Reference:F4} | {100 * (r.Accuracy - r.Reference!.Value):+0.00;-0.00;0.00} | {r.WeightRatio:F3}× |");
        sb.AppendLine();
        sb.AppendLine("## GPTQ against the targets").AppendLine();
        sb.AppendLine("| model | setting | accuracy | PyTorch GPTQ probe | target | met | weight bytes / fp32 | tool time |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in gptq)
            sb.AppendLine(c, $"| {r.Model} | {r.Setting} | {r.Accuracy:F4} | {r.Reference:F4} | ≥ {r.Target:F4} | {(r.Accuracy >= r.Target - 1e-9 ? "yes" : "no")} | {r.WeightRatio:F3}× | {r.Seconds:F1} s |");
        sb.AppendLine();
        sb.AppendLine("Size target: int4 groups of 32 must store ≤ 0.16× the fp32 weight bytes: see the weight-bytes column of the 4-bit g32 rows (4-bit codes plus one float32 scale per 32 weights = 0.156×).").AppendLine();
        sb.AppendLine("## GPTQ speed").AppendLine();
        sb.AppendLine(c, $"One {speed.N}×{speed.N} layer, {speed.Rows} calibration rows of random data, 4 bits, groups of 128, no act-order, plain abs-max scales (as the PyTorch script), Hessian included. Median of 3 runs for Shrink's blocked version.").AppendLine();
        sb.AppendLine("| implementation | seconds | vs PyTorch |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(c, $"| Shrink, blocked (lazy blocks of 128), Hessian {speed.HessianSeconds:F2} s | {speed.BlockedSeconds:F2} | {(speed.TorchSeconds is double t ? (t / speed.BlockedSeconds).ToString("F2", c) + "× faster" : "–")} |");
        sb.AppendLine(c, $"| Shrink, unblocked (every update applied at once) | {speed.UnblockedSeconds:F2} | {(speed.TorchSeconds is double t2 ? (t2 / speed.UnblockedSeconds).ToString("F2", c) + "×" : "–")} |");
        sb.AppendLine(c, $"| PyTorch {(speed.TorchSeconds is null ? "" : "(OpenBLAS, 2 threads), same run")} | {(speed.TorchSeconds is double t3 ? t3.ToString("F2", c) : "–")} | 1× |");
        sb.AppendLine().AppendLine(c, $"PyTorch printed: `{speed.TorchLine}`").AppendLine();
        sb.AppendLine("## MatMulNBits in ONNX Runtime").AppendLine();
        sb.AppendLine("Weights 4-bit, groups of 32, RTN (Conv layers left float here). Latency: **one intra-op thread**, quantized and fp32 interleaved run by run, medians. Error: the largest |y − y_ref| / max|y_ref| over 64 samples, y_ref from the float model holding the dequantized weights.").AppendLine();
        sb.AppendLine("| model | format | fp32 b1 (ms) | 4-bit b1 | speedup b1 | fp32 b64 (ms) | 4-bit b64 | speedup b64 | max relative error | file size |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runtime)
            sb.AppendLine(c, $"| {r.Model} | {r.Format} | {r.Fp32Ms["1"]:F3} | {r.QuantizedMs["1"]:F3} | {r.Speedup["1"]:F2}× | {r.Fp32Ms["64"]:F3} | {r.QuantizedMs["64"]:F3} | {r.Speedup["64"]:F2}× | {r.MaxRelativeError:G3} | {(double)r.QuantizedBytes / r.Fp32Bytes:F2}× |");
        return sb.ToString();
    }
}
