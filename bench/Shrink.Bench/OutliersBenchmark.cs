using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>outliers</c>: low-bit activations with and without the equivalence transforms of issue 15 (smoothing, rotation,
/// equalization, bias correction) on tiny_gpt and tiny_mamba (perplexity on all 512 validation windows), vit_tiny and a
/// depthwise-separable network (Fashion-MNIST accuracy), next to the PyTorch fake-quant baselines of
/// ../shared/baselines (stored figures, or rerun with <c>--torch</c>). Writes bench/RESULTS-outliers.md with each target
/// marked met or missed, the tool time of each transform and its float-function check.
/// </summary>
internal static class OutliersBenchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>One quantization setting: its label, WxAy, how it changes the options, and the PyTorch figure it mirrors.</summary>
    private sealed record Setting(string Label, string WxAy, Func<StaticQuantizationOptions, StaticQuantizationOptions> Apply, string? TorchKey = null);

    private sealed record Row(string Model, string Label, string WxAy, double Quality, double? Torch, double QuantizeSeconds, string Transforms, string FunctionChange);

    private static StaticQuantizationOptions Naive(StaticQuantizationOptions o) =>
        o with { Calibration = "minmax", SymmetricActivations = true, ActivationType = ElementType.Int8 };

    private static Func<StaticQuantizationOptions, StaticQuantizationOptions> Bits(int bits, Func<StaticQuantizationOptions, StaticQuantizationOptions>? then = null) =>
        o => (then ?? (x => x))(o with { ActivationBits = bits });

    private static StaticQuantizationOptions With(StaticQuantizationOptions o, EquivalenceOptions e) => o with { Equivalence = e };

    private static readonly EquivalenceOptions SmoothAuto = new() { Smooth = true };
    private static readonly EquivalenceOptions Hadamard = new() { Rotate = RotationKind.Hadamard };

    public static int Run(bool quick, bool torch, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        string baselines = Path.GetFullPath(Path.Combine(root, "..", "shared", "baselines"));
        if (!File.Exists(Path.Combine(models, "tiny_gpt.onnx")) || !File.Exists(Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz")))
        {
            Console.Error.WriteLine($"needs {models} (tiny_gpt, tiny_mamba, vit_tiny) and {Fmnist} (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-outliers-bench-").FullName;
        try
        {
            var (gptTorch, mambaTorch, torchNote) = Baselines(baselines, models, temp, torch);
            var rows = new List<Row>();
            var calib = TransformerInt8Benchmark.Windows(Path.Combine(models, "tiny_gpt.calib.npy"));
            var val = TransformerInt8Benchmark.Windows(Path.Combine(models, "tiny_gpt.val.npy"));
            if (quick) val = val.Take(128).ToArray();
            calib = calib.Take(quick ? 64 : 128).ToArray();

            Setting[] gpt =
            [
                new("naive (min-max, symmetric)", "W8A8", Bits(8, Naive), "W8A8.naive"),
                new("naive", "W8A6", Bits(6, Naive), "W8A6.naive"),
                new("naive", "W8A4", Bits(4, Naive), "W8A4.naive"),
                new("naive + smooth α 0.8", "W8A4", Bits(4, o => With(Naive(o), new EquivalenceOptions { Smooth = true, SmoothAlpha = 0.8 })), "W8A4.smoothquant_a0.8"),
                new("naive + smooth auto", "W8A4", Bits(4, o => With(Naive(o), SmoothAuto))),
                new("naive + rotate hadamard", "W8A4", Bits(4, o => With(Naive(o), Hadamard))),
                new("Shrink default (mse, asymmetric)", "W8A4", Bits(4)),
                new("mse + smooth auto", "W8A4", Bits(4, o => With(o, SmoothAuto))),
                new("mse + rotate hadamard", "W8A4", Bits(4, o => With(o, Hadamard))),
                new("mse + rotate hadamard + smooth auto", "W8A4", Bits(4, o => With(o, Hadamard with { Smooth = true }))),
                new("naive, weights rtn", "W4A8", Bits(8, o => Naive(o) with { WeightBits = 4 }), "W4A8.naive"),
                new("mse, weights gptq", "W4A8", Bits(8, o => o with { WeightBits = 4, WeightRounding = "gptq" })),
                new("mse + rotate hadamard, weights gptq", "W4A8", Bits(8, o => With(o with { WeightBits = 4, WeightRounding = "gptq" }, Hadamard))),
                new("mse, weights gptq", "W4A4", Bits(4, o => o with { WeightBits = 4, WeightRounding = "gptq" })),
                new("mse + rotate hadamard, weights gptq", "W4A4", Bits(4, o => With(o with { WeightBits = 4, WeightRounding = "gptq" }, Hadamard))),
            ];
            rows.AddRange(LanguageModel("tiny_gpt", Path.Combine(models, "tiny_gpt.onnx"), temp, calib, val, gpt, gptTorch));

            Setting[] mamba =
            [
                new("naive (min-max, symmetric)", "W8A8", Bits(8, Naive), "W8A8.naive"),
                new("naive + rotate hadamard", "W8A8", Bits(8, o => With(Naive(o), Hadamard))),
                new("Shrink default (mse, asymmetric)", "W8A8", Bits(8)),
                new("mse + rotate hadamard", "W8A8", Bits(8, o => With(o, Hadamard))),
                new("naive", "W8A6", Bits(6, Naive), "W8A6.naive"),
                new("naive + rotate hadamard", "W8A6", Bits(6, o => With(Naive(o), Hadamard))),
                new("Shrink default (mse, asymmetric)", "W8A6", Bits(6)),
                new("mse + rotate hadamard", "W8A6", Bits(6, o => With(o, Hadamard))),
                new("mse + rotate klt+hadamard", "W8A6", Bits(6, o => With(o, new EquivalenceOptions { Rotate = RotationKind.KltHadamard }))),
            ];
            rows.AddRange(LanguageModel("tiny_mamba", Path.Combine(models, "tiny_mamba.onnx"), temp, calib, val, mamba, mambaTorch));

            Setting[] vit =
            [
                new("Shrink default (mse, asymmetric)", "W8A8", Bits(8)),
                new("Shrink default", "W8A6", Bits(6)),
                new("mse + smooth auto", "W8A6", Bits(6, o => With(o, SmoothAuto))),
                new("mse + rotate hadamard", "W8A6", Bits(6, o => With(o, Hadamard))),
                new("mse, weights gptq", "W4A4", Bits(4, o => o with { WeightBits = 4, WeightRounding = "gptq" })),
                new("mse + rotate hadamard, weights gptq", "W4A4", Bits(4, o => With(o with { WeightBits = 4, WeightRounding = "gptq" }, Hadamard))),
            ];
            rows.AddRange(Classifier("vit_tiny", Path.Combine(models, "vit_tiny.onnx"), temp, vit, quick));

            string mobilenet = Path.Combine(root, "bench", "models", "mobilenet_fmnist.onnx");
            if (File.Exists(mobilenet))
            {
                Setting[] dw =
                [
                    new("per-channel weights (default)", "W8A8", Bits(8)),
                    new("per-tensor weights", "W8A8", Bits(8, o => o with { PerChannelWeights = false })),
                    new("per-tensor + equalize", "W8A8", Bits(8, o => With(o with { PerChannelWeights = false }, new EquivalenceOptions { Equalize = true }))),
                    new("per-tensor + equalize + bias correction (empirical)", "W8A8", Bits(8, o => With(o with { PerChannelWeights = false }, new EquivalenceOptions { Equalize = true, BiasCorrection = BiasCorrectionKind.Empirical }))),
                    new("per-tensor + equalize + bias correction (analytic)", "W8A8", Bits(8, o => With(o with { PerChannelWeights = false }, new EquivalenceOptions { Equalize = true, BiasCorrection = BiasCorrectionKind.Analytic }))),
                    new("depthwise quantized too: per-channel weights", "W8A8", Bits(8, o => o with { MinReductionSize = 0 })),
                    new("depthwise quantized too: per-tensor weights", "W8A8", Bits(8, o => o with { MinReductionSize = 0, PerChannelWeights = false })),
                    new("depthwise quantized too: per-tensor + equalize + bias correction (empirical)", "W8A8", Bits(8, o => With(o with { MinReductionSize = 0, PerChannelWeights = false }, new EquivalenceOptions { Equalize = true, BiasCorrection = BiasCorrectionKind.Empirical }))),
                ];
                rows.AddRange(Classifier("mobilenet_fmnist", mobilenet, temp, dw, quick));
            }
            else
            {
                Console.Error.WriteLine($"{mobilenet} is missing: the depthwise-separable rows are left out (bench/models/train_mobilenet_fmnist.py makes it).");
            }

            string report = Report(rows, quick, torchNote, clock.Elapsed.TotalSeconds);
            AtomicFile.WriteAllText(outPath, report);
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static IEnumerable<Row> LanguageModel(string name, string fp32, string temp, long[][] calib, long[][] val, Setting[] settings, Dictionary<string, double> torch)
    {
        var runtime = new RuntimeOptions { IntraOpThreads = 1 };
        using (var reference = ModelSession.Open(fp32, runtime))
        {
            double ppl = TransformerInt8Benchmark.Perplexity(reference, val);
            Console.WriteLine($"{name} fp32 {ppl:F4}");
            yield return new Row(name, "fp32", "–", ppl, torch.GetValueOrDefault("fp32"), 0, "", "");
        }
        var model = OnnxModel.Load(fp32);
        foreach (var s in settings)
        {
            var options = s.Apply(new StaticQuantizationOptions { AnalysisSamples = 0, Samples = calib.Length });
            var clock = Stopwatch.StartNew();
            QuantizationResult result;
            try
            {
                result = new StaticQuantizer(options).Quantize(model, _ => new ListDataSource($"{name} calibration windows", TransformerInt8Benchmark.TokenBatches(calib, 16)));
            }
            catch (ShrinkException e)
            {
                Console.Error.WriteLine($"{name} {s.Label} {s.WxAy}: {e.Message}");
                continue;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            string path = Path.Combine(temp, $"{name}.onnx");
            result.Model.Save(path);
            double ppl;
            using (var session = ModelSession.Open(path, runtime)) ppl = TransformerInt8Benchmark.Perplexity(session, val);
            Console.WriteLine($"{name} {s.WxAy} {s.Label}: {ppl:F4} ({seconds:F1} s)");
            yield return new Row(name, s.Label, s.WxAy, ppl, s.TorchKey is null ? null : torch.GetValueOrDefault(s.TorchKey), seconds, Transforms(result), Change(result));
        }
    }

    private static IEnumerable<Row> Classifier(string name, string fp32, string temp, Setting[] settings, bool quick)
    {
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string file) =>
            inputs => DataSourceFactory.Open(Path.Combine(Fmnist, file), new DataOptions { Preprocessing = Preprocessing.LoadSidecar(fp32)! }, inputs);
        var evaluation = new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = quick ? 2000 : null, EvalBatchSize = 500, Runtime = new RuntimeOptions { IntraOpThreads = 1 } };
        var model = OnnxModel.Load(fp32);
        bool first = true;
        foreach (var s in settings)
        {
            var options = s.Apply(new StaticQuantizationOptions { AnalysisSamples = 0, Samples = 512 });
            var clock = Stopwatch.StartNew();
            QuantizationResult result;
            try
            {
                result = new StaticQuantizer(options).Quantize(model, Open("train-images-idx3-ubyte.gz"));
            }
            catch (ShrinkException e)
            {
                Console.Error.WriteLine($"{name} {s.Label} {s.WxAy}: {e.Message}");
                continue;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            string path = Path.Combine(temp, $"{name}.onnx");
            result.Model.Save(path);
            var eval = new ModelEvaluator(evaluation).Evaluate(path, fp32, Open("t10k-images-idx3-ubyte.gz"));
            if (first)
            {
                yield return new Row(name, "fp32", "–", eval.ReferenceAccuracy!.Value, null, 0, "", "");
                first = false;
            }
            Console.WriteLine($"{name} {s.WxAy} {s.Label}: {eval.Accuracy:F4} ({seconds:F1} s)");
            yield return new Row(name, s.Label, s.WxAy, eval.Accuracy!.Value, null, seconds, Transforms(result), Change(result));
        }
    }

    private static string Transforms(QuantizationResult result) => string.Join("; ", result.Equivalence.Select(e =>
        $"{e.Name} {e.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({e.Layers.Count(l => l.Applied)} applied, {e.Layers.Count(l => !l.Applied)} skipped)"));

    private static string Change(QuantizationResult result) => string.Join("; ", result.Equivalence.Where(e => !double.IsNaN(e.FunctionChange))
        .Select(e => $"{e.Name} {e.FunctionChange.ToString("0.0E+0", CultureInfo.InvariantCulture)}"));

    /// <summary>The PyTorch figures: stored in ../shared/baselines/results, or rerun with --torch (minutes).</summary>
    private static (Dictionary<string, double> Gpt, Dictionary<string, double> Mamba, string Note) Baselines(string baselines, string models, string temp, bool rerun)
    {
        string gptJson = Path.Combine(baselines, "results", "tiny_gpt_baselines.json"), mambaJson = Path.Combine(baselines, "results", "tiny_mamba_baselines.json");
        string note = "PyTorch 1.13 fake-quant figures stored in `../shared/baselines/results` (not rerun in this run; `--torch` reruns them)";
        if (rerun)
        {
            Console.WriteLine("rerunning the PyTorch baselines (minutes)");
            string g = Path.Combine(temp, "tiny_gpt_baselines.json"), m = Path.Combine(temp, "tiny_mamba_baselines.json");
            if (PythonScript.Run(Path.Combine(baselines, "tiny_gpt_baselines.py"), baselines, models, g) is not null && File.Exists(g)
                && PythonScript.Run(Path.Combine(baselines, "tiny_mamba_baselines.py"), baselines, models, m) is not null && File.Exists(m))
            {
                (gptJson, mambaJson) = (g, m);
                note = "PyTorch 1.13 fake-quant figures rerun in this run (`../shared/baselines/tiny_gpt_baselines.py`, `tiny_mamba_baselines.py`, one thread)";
            }
        }
        return (Flatten(gptJson), Flatten(mambaJson), note);
    }

    private static Dictionary<string, double> Flatten(string json)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!File.Exists(json)) return figures;
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        if (doc.RootElement.TryGetProperty("fp32", out var fp32) && fp32.TryGetProperty("ppl", out var ppl)) figures["fp32"] = ppl.GetDouble();
        if (doc.RootElement.TryGetProperty("static_wxay", out var wxay))
            foreach (var setting in wxay.EnumerateObject())
                foreach (var method in setting.Value.EnumerateObject())
                    figures[$"{setting.Name}.{method.Name}"] = method.Value.GetDouble();
        return figures;
    }

    private static string Report(List<Row> rows, bool quick, string torchNote, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink on outliers and low-bit activations (issue 15)").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- outliers{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors, ONNX Runtime {OrtInfo.Version}, one intra-op thread.").AppendLine();
        sb.AppendLine(c, $"Static QDQ, every MatMul/Gemm/Conv with a constant weight quantized (per-channel symmetric int8 weights unless said), attention MatMuls of two activations and residual Adds in float (Shrink's default, as in the PyTorch baselines). WxAy: activations below 8 bits use 2^y levels of int8/uint8 Q/DQ (ORT runs int8 kernels; these are accuracy studies). \"naive\" = min-max ranges, symmetric per-tensor activations, as the PyTorch baselines; \"Shrink default\" = mse ranges, asymmetric uint8. tiny_gpt/tiny_mamba: calibrated on the first {(quick ? 64 : 128)} `tiny_gpt.calib.npy` windows, perplexity on {(quick ? "the first 128" : "all 512")} `tiny_gpt.val.npy` windows (the PyTorch baselines calibrate on 64 random training windows). vit_tiny and the depthwise network: calibrated on 512 Fashion-MNIST training images, accuracy on {(quick ? "the first 2,000" : "all 10,000")} test images. {torchNote}. Quantize time includes calibration and the transforms; \"function change\" is each function-preserving transform's largest relative output change in float on a calibration batch.").AppendLine();
        foreach (var model in rows.Select(r => r.Model).Distinct())
        {
            bool lm = model.StartsWith("tiny_", StringComparison.Ordinal);
            sb.AppendLine(c, $"## {model}").AppendLine();
            sb.AppendLine(c, $"| setting | WxAy | {(lm ? "perplexity" : "top-1")} | PyTorch | quantize s | transforms (time, places) | function change |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var r in rows.Where(r => r.Model == model))
                sb.AppendLine(c, $"| {r.Label} | {r.WxAy} | {r.Quality:F4} | {(r.Torch is double t ? t.ToString("F4", c) : "–")} | {(r.Label == "fp32" ? "–" : r.QuantizeSeconds.ToString("F1", c))} | {r.Transforms} | {r.FunctionChange} |");
            sb.AppendLine();
        }
        sb.AppendLine("## Targets").AppendLine();
        double Best(string model, string wxay) => rows.Where(r => r.Model == model && r.WxAy == wxay).Select(r => r.Model.StartsWith("tiny_", StringComparison.Ordinal) ? r.Quality : -r.Quality).DefaultIfEmpty(double.NaN).Min();
        double Fp32(string model) => rows.FirstOrDefault(r => r.Model == model && r.Label == "fp32")?.Quality ?? double.NaN;
        double gpt84 = Best("tiny_gpt", "W8A4"), gpt48 = Best("tiny_gpt", "W4A8"), gpt44 = Best("tiny_gpt", "W4A4");
        double naive84 = rows.Where(r => r.Model == "tiny_gpt" && r.WxAy == "W8A4" && r.Label.StartsWith("naive +", StringComparison.Ordinal)).Select(r => r.Quality).DefaultIfEmpty(double.NaN).Min();
        sb.AppendLine(c, $"- tiny_gpt W8A4 perplexity ≤ 10.0 (best setting above): {gpt84:F4}: {Met(gpt84 <= 10.0)}; with the PyTorch baseline's min-max symmetric ranges, best transform {naive84:F4} (PyTorch naive 12.049, SmoothQuant α 0.8 11.947).");
        sb.AppendLine(c, $"- tiny_gpt W4A8 with rotation + GPTQ ≤ 9.28 (best W4A8 above): {gpt48:F4}: {Met(gpt48 <= 9.28)}; W4A4 (report): {gpt44:F4}.");
        double m86 = Best("tiny_mamba", "W8A6"), m88 = Best("tiny_mamba", "W8A8");
        sb.AppendLine(c, $"- tiny_mamba W8A6 ≤ 6.80: {m86:F4}: {Met(m86 <= 6.80)}; W8A8 ≤ 6.72: {m88:F4}: {Met(m88 <= 6.72)}.");
        double vit = Fp32("vit_tiny"), v88 = -Best("vit_tiny", "W8A8"), v86 = -Best("vit_tiny", "W8A6"), v44 = -Best("vit_tiny", "W4A4");
        sb.AppendLine(c, $"- vit_tiny W8A8 drop ≤ 0.1 pt: {100 * (vit - v88):F2} pt: {Met(100 * (vit - v88) <= 0.1)}; W8A6 drop ≤ 1 pt: {100 * (vit - v86):F2} pt: {Met(100 * (vit - v86) <= 1.0)}; W4A4 (report): {100 * v44:F2} % ({100 * (vit - v44):F2} pt drop).");
        var dw = rows.Where(r => r.Model == "mobilenet_fmnist").ToList();
        if (dw.Count > 0)
        {
            foreach (var (prefix, what) in new[] { ("", "default (3×3 depthwise convs, reduction 9 < 16, stay float)"), ("depthwise quantized too: ", "every conv quantized, depthwise included") })
            {
                double perChannel = dw.FirstOrDefault(r => r.Label == prefix + "per-channel weights" || r.Label == prefix + "per-channel weights (default)")?.Quality ?? double.NaN;
                double corrected = dw.Where(r => r.Label.StartsWith(prefix, StringComparison.Ordinal) && (prefix.Length > 0 || !r.Label.StartsWith("depthwise", StringComparison.Ordinal)) && r.Label.Contains("bias correction", StringComparison.Ordinal)).Select(r => r.Quality).DefaultIfEmpty(double.NaN).Max();
                double plain = dw.FirstOrDefault(r => r.Label == prefix + "per-tensor weights")?.Quality ?? double.NaN;
                sb.AppendLine(c, $"- depthwise network, {what}: per-tensor int8 weights with --equalize --bias-correction within 0.5 pt of per-channel: {100 * (perChannel - corrected):F2} pt behind ({Met(100 * (perChannel - corrected) <= 0.5)}); without them {100 * (perChannel - plain):F2} pt behind.");
            }
        }
        var times = rows.Where(r => r.Model == "tiny_gpt" && r.Transforms.Length > 0).SelectMany(r => r.Transforms.Split("; ")).ToList();
        sb.AppendLine(c, $"- Tool time of each transform on tiny_gpt ≤ 10 s: {string.Join("; ", times.Distinct())}.");
        return sb.ToString();
    }

    private static string Met(bool met) => met ? "met" : "**missed**";
}
