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
/// <c>int8-transformers</c>: int8 on the transformer reference models against their fp32 originals: vit_tiny at batch 64
/// (Fashion-MNIST accuracy), tiny_gpt at batch 8 × 128 tokens (perplexity on tiny_gpt.val.npy) and tiny_gpt_kv decoding
/// one token after a 100-token cache (batch 1). Static (default options, calibrated on the training windows or images)
/// and dynamic; latency with one intra-op thread, every model interleaved with its fp32 original run by run. Writes
/// bench/RESULTS-int8-transformers.md with each target marked met or missed.
/// </summary>
internal static class TransformerInt8Benchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";
    private const int Window = 128, Vocab = 99, Past = 100;

    private sealed record Row(string Model, string Mode, string Metric, double Fp32Quality, double Int8Quality, double Fp32Ms, double Int8Ms, double Speedup, int Runs, string Kernels)
    {
        /// <summary>The speedup in a separate <c>shrink bench</c> process (same models), denormals as ORT leaves them / flushed to zero; null where not timed.</summary>
        public (double Default, double Flushed)? CliSpeedup { get; init; }
    }

    public static int Run(bool quick, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        if (!File.Exists(Path.Combine(models, "tiny_gpt.onnx")) || !File.Exists(Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz")))
        {
            Console.Error.WriteLine($"needs {models} (tiny_gpt, tiny_gpt_kv, vit_tiny) and {Fmnist} (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-int8tx-bench-").FullName;
        try
        {
            var rows = new List<Row>();
            foreach (var mode in new[] { "static", "dynamic" })
            {
                Console.WriteLine($"vit_tiny {mode}");
                rows.Add(Vit(models, temp, mode, quick));
            }
            var calib = Windows(Path.Combine(models, "tiny_gpt.calib.npy"));
            var val = Windows(Path.Combine(models, "tiny_gpt.val.npy"));
            foreach (var mode in new[] { "static", "dynamic" })
            {
                Console.WriteLine($"tiny_gpt {mode}");
                rows.Add(Gpt(models, temp, mode, calib, val, quick));
            }
            foreach (var mode in new[] { "static", "dynamic" })
            {
                Console.WriteLine($"tiny_gpt_kv {mode}");
                rows.Add(Kv(models, temp, mode, calib, quick));
            }
            string report = Report(rows, quick, clock.Elapsed.TotalSeconds);
            AtomicFile.WriteAllText(outPath, report);
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static QuantizationResult Quantize(OnnxModel model, string mode, Func<IReadOnlyList<ModelInputSpec>, IDataSource> data, long samples) => mode == "dynamic"
        ? new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model)
        : new StaticQuantizer(new StaticQuantizationOptions { AnalysisSamples = 0, Samples = samples }).Quantize(model, data);

    internal static string Kernels(QuantizationResult result) => result.Fusion is null
        ? "–"
        : string.Join(", ", result.Fusion.OptimizedOps.Where(kv => kv.Key.Contains("Integer", StringComparison.Ordinal) || kv.Key.Contains("QLinear", StringComparison.Ordinal) || kv.Key.Contains("QGemm", StringComparison.Ordinal) || kv.Key.Contains("DynamicQuantize", StringComparison.Ordinal) || kv.Key.EndsWith("MatMul", StringComparison.Ordinal))
            .Select(kv => $"{kv.Key.Replace("com.microsoft.", "", StringComparison.Ordinal)} ×{kv.Value}"));

    private static Row Vit(string models, string temp, string mode, bool quick)
    {
        string fp32 = Path.Combine(models, "vit_tiny.onnx");
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string file) =>
            inputs => DataSourceFactory.Open(Path.Combine(Fmnist, file), new DataOptions { Preprocessing = Preprocessing.LoadSidecar(fp32)! }, inputs);
        var result = Quantize(OnnxModel.Load(fp32), mode, Open("train-images-idx3-ubyte.gz"), 512);
        string path = Path.Combine(temp, $"vit_tiny.{mode}.onnx");
        result.Model.Save(path);
        var options = new EvaluationOptions
        {
            LatencyBatchSizes = [64],
            MaxSamples = quick ? 2000 : null,
            EvalBatchSize = 500,
            Runtime = new RuntimeOptions { IntraOpThreads = 1 },
            Latency = new LatencyMeter { Runs = quick ? 20 : 200, WarmupRuns = 10 },
        };
        var eval = new ModelEvaluator(options).Evaluate(path, fp32, Open("t10k-images-idx3-ubyte.gz"));
        return new Row("vit_tiny b64", mode, "top-1", eval.ReferenceAccuracy!.Value, eval.Accuracy!.Value,
            eval.ReferenceLatencyMs!["64"], eval.LatencyMs["64"], eval.Speedup!["64"], quick ? 20 : 200, Kernels(result))
        {
            CliSpeedup = CliSpeedups(fp32, path, ["--batch", "64", "--data", Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz")], quick ? 20 : 200),
        };
    }

    private static Row Gpt(string models, string temp, string mode, long[][] calib, long[][] val, bool quick)
    {
        string fp32 = Path.Combine(models, "tiny_gpt.onnx");
        int calibrationWindows = quick ? 128 : 512;
        var result = Quantize(OnnxModel.Load(fp32), mode, _ => new ListDataSource("tiny_gpt.calib.npy windows [:, :128]", TokenBatches(calib.Take(calibrationWindows).ToArray(), 16)), calibrationWindows);
        string path = Path.Combine(temp, $"tiny_gpt.{mode}.onnx");
        result.Model.Save(path);
        var runtime = new RuntimeOptions { IntraOpThreads = 1 };
        using var reference = ModelSession.Open(fp32, runtime);
        using var quantized = ModelSession.Open(path, runtime);
        var evalWindows = quick ? val.Take(128).ToArray() : val;
        double pplRef = Perplexity(reference, evalWindows), ppl = Perplexity(quantized, evalWindows);
        var timing = TokenBatches(val.Take(8).ToArray(), 8)[0];
        using var refInputs = reference.Prepare(timing);
        using var inputs = quantized.Prepare(timing);
        int runs = quick ? 10 : 60;
        var stats = new LatencyMeter { Runs = runs, WarmupRuns = 3 }.Measure(8, [(reference, refInputs), (quantized, inputs)]);
        return new Row("tiny_gpt b8×128", mode, "perplexity", pplRef, ppl, stats[0].MedianMs, stats[1].MedianMs, stats[0].MedianMs / stats[1].MedianMs, runs, Kernels(result))
        {
            CliSpeedup = CliSpeedups(fp32, path, ["--batch", "8", "--data", Path.Combine(models, "tiny_gpt.val.npy")], runs),
        };
    }

    /// <summary>
    /// The int8 model's speedup over fp32 timed by the built CLI's <c>shrink bench</c> in a fresh process, without and
    /// with <c>--flush-denormals</c>: ORT sets the running thread's denormal mode once per process from its first
    /// session, so the two settings cannot share this process. Null when the CLI is not built.
    /// </summary>
    private static (double, double)? CliSpeedups(string fp32, string int8, string[] arguments, int runs)
    {
        string cli = Path.Combine(Int8Benchmark.RepoRoot(), "src", "Shrink.Cli", "bin", "Release", "net10.0", "shrink.dll");
        if (!File.Exists(cli)) return null;
        double Speedup(bool flush)
        {
            var start = new ProcessStartInfo("dotnet", ["exec", cli, "bench", fp32, int8, .. arguments, "--runs", runs.ToString(CultureInfo.InvariantCulture), "--json", "-", .. (flush ? new[] { "--flush-denormals" } : [])])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string json = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"shrink bench exited {process.ExitCode}: {stderr.Result}");
            using var doc = JsonDocument.Parse(json);
            if (flush && !doc.RootElement.GetProperty("denormals_flushed").GetBoolean()) throw new InvalidOperationException("shrink bench --flush-denormals: not in effect");
            return doc.RootElement.GetProperty("results")[1].GetProperty("ratio_to_first").GetDouble();
        }
        return (Speedup(false), Speedup(true));
    }

    private static Row Kv(string models, string temp, string mode, long[][] calib, bool quick)
    {
        string fp32 = Path.Combine(models, "tiny_gpt_kv.onnx");
        var runtime = new RuntimeOptions { IntraOpThreads = 1 };
        using var reference = ModelSession.Open(fp32, runtime);
        // Calibration states: the fp32 model's own cache after 100 tokens of a training window, then the 101st token.
        var steps = CacheSteps(reference, calib.Take(quick ? 32 : 128).ToArray(), 16);
        var result = Quantize(OnnxModel.Load(fp32), mode, _ => new ListDataSource("tiny_gpt_kv: 100-token caches of training windows", steps), steps.Sum(s => s.Count));
        string path = Path.Combine(temp, $"tiny_gpt_kv.{mode}.onnx");
        result.Model.Save(path);
        using var quantized = ModelSession.Open(path, runtime);
        var one = CacheSteps(reference, calib.Skip(500).Take(1).ToArray(), 1)[0];
        // Fidelity of the next-token logits on held-out cache states (the kv model has no windowed perplexity of its own).
        var check = CacheSteps(reference, calib.Skip(384).Take(64).ToArray(), 16);
        double agreement = ArgmaxAgreement(reference, quantized, check);
        using var refInputs = reference.Prepare(one);
        using var inputs = quantized.Prepare(one);
        int runs = quick ? 50 : 400;
        var stats = new LatencyMeter { Runs = runs, WarmupRuns = 20 }.Measure(1, [(reference, refInputs), (quantized, inputs)]);
        return new Row("tiny_gpt_kv 1 token, 100 cached", mode, "next-token arg-max agreement", 1.0, agreement, stats[0].MedianMs, stats[1].MedianMs, stats[0].MedianMs / stats[1].MedianMs, runs, Kernels(result));
    }

    internal static long[][] Windows(string npy)
    {
        using var source = DataSourceFactory.Open(npy, new DataOptions(), [new ModelInputSpec("input_ids", ElementType.Int64, [null, Window + 1], ["batch", null])]);
        var windows = new List<long[]>();
        foreach (var batch in source.ReadBatches(64))
        {
            var data = (long[])batch.Inputs[0].Data;
            int width = (int)batch.Inputs[0].Shape[1];
            for (int i = 0; i < batch.Count; i++) windows.Add(data.AsSpan(i * width, width).ToArray());
        }
        return windows.ToArray();
    }

    internal static List<DataBatch> TokenBatches(long[][] windows, int batchSize)
    {
        var batches = new List<DataBatch>();
        for (int start = 0; start < windows.Length; start += batchSize)
        {
            int n = Math.Min(batchSize, windows.Length - start);
            var ids = new long[n * Window];
            for (int i = 0; i < n; i++) windows[start + i].AsSpan(0, Window).CopyTo(ids.AsSpan(i * Window));
            batches.Add(new DataBatch([new BatchTensor("input_ids", ElementType.Int64, [n, Window], ids)], n, null));
        }
        return batches;
    }

    // exp(mean NLL) of the next-token predictions: input window[:128], target window[1:].
    internal static double Perplexity(ModelSession session, long[][] windows)
    {
        double nll = 0;
        long count = 0;
        int start = 0;
        foreach (var batch in TokenBatches(windows, 16))
        {
            var logits = session.Run(batch).First(o => o.Name == "logits").Data;
            for (int i = 0; i < batch.Count; i++)
            {
                for (int t = 0; t < Window; t++)
                {
                    var row = logits.AsSpan(((i * Window) + t) * Vocab, Vocab);
                    float max = float.NegativeInfinity;
                    foreach (float v in row) max = Math.Max(max, v);
                    double sum = 0;
                    foreach (float v in row) sum += Math.Exp(v - max);
                    nll += max + Math.Log(sum) - row[(int)windows[start + i][t + 1]];
                    count++;
                }
            }
            start += batch.Count;
        }
        return Math.Exp(nll / count);
    }

    // Batches of one decoding step: token 100 of each window with the fp32 model's cache of tokens 0..99.
    private static List<DataBatch> CacheSteps(ModelSession model, long[][] windows, int batchSize)
    {
        var steps = new List<DataBatch>();
        var pastNames = model.Inputs.Select(i => i.Name).Where(n => n.StartsWith("past_", StringComparison.Ordinal)).ToList();
        for (int start = 0; start < windows.Length; start += batchSize)
        {
            int n = Math.Min(batchSize, windows.Length - start);
            var prefix = new long[n * Past];
            var next = new long[n];
            for (int i = 0; i < n; i++)
            {
                windows[start + i].AsSpan(0, Past).CopyTo(prefix.AsSpan(i * Past));
                next[i] = windows[start + i][Past];
            }
            var first = new List<BatchTensor> { new("input_ids", ElementType.Int64, [n, Past], prefix) };
            first.AddRange(pastNames.Select(p => new BatchTensor(p, ElementType.Float, [n, 4, 0, 48], Array.Empty<float>())));
            var outputs = model.Run(new DataBatch(first, n, null));
            var step = new List<BatchTensor> { new("input_ids", ElementType.Int64, [n, 1], next) };
            foreach (var p in pastNames)
            {
                var present = outputs.First(o => o.Name == "present_" + p["past_".Length..]);
                step.Add(new BatchTensor(p, ElementType.Float, present.Shape, present.Data));
            }
            steps.Add(new DataBatch(step, n, null));
        }
        return steps;
    }

    private static double ArgmaxAgreement(ModelSession reference, ModelSession model, List<DataBatch> batches)
    {
        int same = 0, total = 0;
        foreach (var batch in batches)
        {
            var a = reference.Run(batch).First(o => o.Name == "logits").Data;
            var b = model.Run(batch).First(o => o.Name == "logits").Data;
            for (int r = 0; r < a.Length / Vocab; r++)
            {
                if (ArgMax(a.AsSpan(r * Vocab, Vocab)) == ArgMax(b.AsSpan(r * Vocab, Vocab))) same++;
                total++;
            }
        }
        return (double)same / total;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static string Report(List<Row> rows, bool quick, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink int8 on transformers").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- int8-transformers{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors.").AppendLine();
        sb.AppendLine(c, $"Models: `../shared/models`, default options (static: mse calibration, attention MatMuls and residual Adds in float; dynamic: DynamicQuantizeMatMul). vit_tiny: calibrated on the first 512 Fashion-MNIST training images, accuracy on {(quick ? "the first 2,000" : "all 10,000")} test images. tiny_gpt: calibrated on {(quick ? "128" : "512")} `tiny_gpt.calib.npy` windows (first 128 tokens), perplexity on {(quick ? "the first 128" : "all 512")} `tiny_gpt.val.npy` windows. tiny_gpt_kv: calibrated on the fp32 model's own 100-token caches of training windows; quality is the arg-max agreement of the next-token logits with fp32 on 64 other cache states. Latency: ONNX Runtime {OrtInfo.Version}, CPU, **one intra-op thread**, int8 and fp32 interleaved run by run, medians. On a shared, noisy machine only the interleaved ratio means much.").AppendLine();
        sb.AppendLine("| model | mode | metric | fp32 | int8 | fp32 ms | int8 ms | speedup | `shrink bench` speedup | same, denormals flushed | runs | integer kernels in ORT's optimized graph |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(c, $"| {r.Model} | {r.Mode} | {r.Metric} | {r.Fp32Quality:F4} | {r.Int8Quality:F4} | {r.Fp32Ms:F3} | {r.Int8Ms:F3} | {r.Speedup:F2}× | {(r.CliSpeedup is { } d ? $"{d.Default:F2}×" : "–")} | {(r.CliSpeedup is { } f ? $"{f.Flushed:F2}×" : "–")} | {r.Runs} | {r.Kernels} |");
        sb.AppendLine().AppendLine("\"`shrink bench` speedup\": the same two files timed again by the built CLI in a fresh process (`shrink bench FP32 INT8 --batch B --runs N --json -`, real inputs: the test images or the validation windows), without and with `--flush-denormals` (ORT's `session.set_denormal_as_zero` in both sessions, fp32's included). ORT sets the running thread's denormal mode once per process, from the first session, so each setting gets its own process. tiny_gpt's masked attention softmax writes denormals (≈1e-39) where the causal mask is: flushing them speeds fp32 and int8 alike, and int8 relatively more because its MatMuls are faster. tiny_gpt_kv rows are not timed this way (one-token steps need the cache inputs the CLI's random data cannot give).");
        sb.AppendLine().AppendLine("## Targets").AppendLine();
        var gpt = rows.First(r => r.Model.StartsWith("tiny_gpt b8", StringComparison.Ordinal) && r.Mode == "static");
        // The target is 9.27 on all 512 windows (fp32 9.262): at most 0.008 above fp32 on the windows measured.
        var gptDynamic = rows.First(r => r.Model.StartsWith("tiny_gpt b8", StringComparison.Ordinal) && r.Mode == "dynamic");
        sb.AppendLine(c, $"- tiny_gpt W8A8 static at batch 8 × 128: {gpt.Speedup:F2}× fp32 (target ≥ 2.0: {Met(gpt.Speedup >= 2.0)}){Flushed(gpt, 2.0)}; dynamic {gptDynamic.Speedup:F2}×{Flushed(gptDynamic, 2.0)}; perplexity {gpt.Int8Quality:F4} vs fp32 {gpt.Fp32Quality:F4} (target ≤ fp32 + 0.008, i.e. 9.27 on all 512 windows: {Met(gpt.Int8Quality - gpt.Fp32Quality <= 0.008)}).");
        var kv = rows.First(r => r.Model.StartsWith("tiny_gpt_kv", StringComparison.Ordinal) && r.Mode == "static");
        sb.AppendLine(c, $"- tiny_gpt_kv static, one token after 100 cached: {kv.Speedup:F2}× fp32 (target ≥ 1.0, not slower: {Met(kv.Speedup >= 1.0)}).");
        var vit = rows.Where(r => r.Model.StartsWith("vit_tiny", StringComparison.Ordinal)).OrderByDescending(r => r.Speedup).First();
        double drop = 100 * (vit.Fp32Quality - vit.Int8Quality);
        sb.AppendLine(c, $"- vit_tiny int8 at batch 64, best mode ({vit.Mode}): {vit.Speedup:F2}× fp32 (target ≥ 1.3: {Met(vit.Speedup >= 1.3)}){Flushed(vit, 1.3)}, accuracy drop {drop:F2} pt (target ≤ 0.3: {Met(drop <= 0.3)}).");
        return sb.ToString();
    }

    private static string Met(bool met) => met ? "met" : "**missed**";

    private static string Flushed(Row row, double target) => row.CliSpeedup is { } s
        ? string.Create(CultureInfo.InvariantCulture, $", {s.Flushed:F2}× with denormals flushed in both ({Met(s.Flushed >= target)})")
        : "";
}
