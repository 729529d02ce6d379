using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>mixed</c>: Hessian-aware mixed precision on resnet8 and vit_tiny ({2,3,4,8} bits, RTN, groups of 32): the ILP
/// allocation against uniform widths and the median of 20 random allocations of the same size, Hutchinson against
/// perturbation and against PyTorch autograd traces, and <c>tune</c> on resnet8; written to bench/RESULTS-mixed.md.
/// </summary>
internal static class MixedPrecisionBenchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";
    private static readonly string Train = Path.Combine(Fmnist, "train-images-idx3-ubyte.gz");
    private static readonly string Test = Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz");
    private static readonly int[] Widths = [2, 3, 4, 8];

    private sealed record BudgetRow(string Model, string Budget, string Accounting, long Bytes, double Ilp, string IlpBits, long IlpBytes, double? Uniform, double RandomMedian, double RandomMax, int RandomCount);

    public static int Run(bool quick, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        string baselines = Path.GetFullPath(Path.Combine(root, "..", "shared", "baselines"));
        if (!Directory.Exists(models) || !File.Exists(Test))
        {
            Console.Error.WriteLine($"needs {models} and {Fmnist}");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-mixed-bench-").FullName;
        long evalSamples = quick ? 2000 : 10000;
        int randoms = quick ? 5 : 20;
        try
        {
            var rows = new List<BudgetRow>();
            var notes = new List<string>();
            var sensitivities = new Dictionary<string, SensitivityResult>();
            foreach (string name in new[] { "resnet8", "vit_tiny" })
            {
                string fp32 = Path.Combine(models, name + ".onnx");
                var model = OnnxModel.Load(fp32);
                var sw = Stopwatch.StartNew();
                // No time budget: the probes stop on their tolerance or the cap, so the table does not move with the machine's load.
                var sensitivity = new SensitivityAnalyzer(new SensitivityOptions { Samples = 256, Loss = "kl", MaxProbes = quick ? 16 : 64, TimeBudgetSeconds = double.PositiveInfinity }).Analyze(model, Open(Train, fp32));
                sensitivities[name] = sensitivity;
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: Hutchinson sensitivity of {sensitivity.Layers.Count} layers in {sw.Elapsed.TotalSeconds:F1} s ({sensitivity.Layers.Sum(l => l.Probes)} probes, 2 passes of 256 samples each)."));
                Console.WriteLine(notes[^1]);
                var fp32Accuracy = Evaluate(fp32, fp32, evalSamples);
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: fp32 accuracy {fp32Accuracy:F4}."));
                foreach (var (accounting, bits) in new[] { (SizeAccounting.Stored, 4), (SizeAccounting.Nominal, 4), (SizeAccounting.Nominal, 3) })
                {
                    var planner = new MixedPrecisionPlanner(model, sensitivity, 32, true, accounting, new HashSet<string>(), new HashSet<string>(), new FileInfo(fp32).Length);
                    long budget = planner.Sizes.UniformBytes(bits);
                    var plan = planner.Plan(new MixedPrecisionBudget(BudgetKind.SizeBytes, budget));
                    double ilp = Accuracy(model, fp32, temp, plan.LayerBits, evalSamples);
                    var keys = planner.Sizes.LayerBytes.Keys.ToList();
                    double uniform = Accuracy(model, fp32, temp, keys.ToDictionary(k => k, _ => bits), evalSamples);
                    var rng = new Random(0);
                    var accs = new List<double>();
                    for (int attempt = 0; attempt < 200000 && accs.Count < randoms; attempt++)
                    {
                        var alloc = keys.ToDictionary(k => k, _ => Widths[rng.Next(Widths.Length)]);
                        long size = planner.Sizes.TotalBytes(alloc);
                        if (size <= budget && size >= 0.97 * budget) accs.Add(Accuracy(model, fp32, temp, alloc, evalSamples));
                    }
                    accs.Sort();
                    rows.Add(new BudgetRow(name, $"uniform {bits}-bit size", accounting.ToString().ToLowerInvariant(), budget, ilp, string.Join(" ", keys.Select(k => plan.LayerBits[k])), plan.PredictedBytes, uniform,
                        accs.Count > 0 ? accs[accs.Count / 2] : double.NaN, accs.Count > 0 ? accs[^1] : double.NaN, accs.Count));
                    Console.WriteLine($"{name} {bits}-bit {accounting}: ILP {ilp:F4} ({rows[^1].IlpBits}) uniform {uniform:F4} random median {rows[^1].RandomMedian:F4} of {accs.Count}");
                }
            }

            // Hutchinson vs perturbation, and vs PyTorch autograd traces (rankings: the ONNX weights have BN folded in).
            string r8 = Path.Combine(models, "resnet8.onnx");
            var perturbation = new SensitivityAnalyzer(new SensitivityOptions { Samples = 256, Loss = "kl", Method = "perturbation" }).Analyze(OnnxModel.Load(r8), Open(Train, r8));
            var hutch = sensitivities["resnet8"];
            var rhoPerturbation = Widths.ToDictionary(b => b, b => Ranking.Spearman(hutch.Layers.Select(l => l.Omega[b]).ToArray(), perturbation.Layers.Select(l => l.Omega[b]).ToArray()));
            var anchor = JsonDocument.Parse(File.ReadAllText(Path.Combine(baselines, "results", "hessian_anchor_results.json"))).RootElement;
            var rhoTorch = new Dictionary<string, (double Rho, int Count)>();
            foreach (var name in new[] { "resnet8", "vit_tiny" })
            {
                var torch = anchor.GetProperty(name).GetProperty("kl").EnumerateObject().Where(p => p.Name != "pos").Select(p => p.Value.GetDouble()).ToArray();
                var ours = sensitivities[name].Layers.Select(l => l.Trace!.Value / l.Parameters).ToArray();
                rhoTorch[name] = torch.Length == ours.Length ? (Ranking.Spearman(ours, torch), ours.Length) : (double.NaN, ours.Length);
            }

            // Accuracy-driven tuning on resnet8.
            var r8Model = OnnxModel.Load(r8);
            var tunePlanner = new MixedPrecisionPlanner(r8Model, hutch, 32, true, SizeAccounting.Stored, new HashSet<string>(), new HashSet<string>(), new FileInfo(r8).Length);
            double reference = Evaluate(r8, r8, evalSamples);
            var tuneClock = Stopwatch.StartNew();
            var tuning = new MixedPrecisionTuner(tunePlanner).Tune(bits => Accuracy(r8Model, r8, temp, bits, evalSamples), reference, 0.5, 20);
            double tuneSeconds = tuneClock.Elapsed.TotalSeconds;

            var report = Report(rows, notes, hutch, perturbation, rhoPerturbation, rhoTorch, tuning, tunePlanner.Sizes, tuneSeconds, quick, evalSamples, clock.Elapsed.TotalSeconds);
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

    private static double Evaluate(string path, string fp32, long samples) =>
        new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = samples, EvalBatchSize = 500 }).Evaluate(path, null, Open(Test, fp32)).Accuracy!.Value;

    private static double Accuracy(OnnxModel model, string fp32, string temp, IReadOnlyDictionary<string, int> bits, long samples)
    {
        var options = new WeightOnlyOptions { Method = "rtn", GroupSize = 32, LayerBits = bits, Bits = 8, MeasureLayerErrors = false };
        string path = Path.Combine(temp, "trial.onnx");
        new WeightOnlyQuantizer(options).Quantize(model, null).Model.Save(path);
        return Evaluate(path, fp32, samples);
    }

    private static string Report(List<BudgetRow> rows, List<string> notes, SensitivityResult hutch, SensitivityResult perturbation, Dictionary<int, double> rhoPerturbation,
        Dictionary<string, (double Rho, int Count)> rhoTorch, TuningResult tuning, LayerSizeTable sizes, double tuneSeconds, bool quick, long samples, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink mixed-precision benchmark").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- mixed{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors, ONNX Runtime {OrtInfo.Version}.").AppendLine();
        sb.AppendLine(c, $"Widths {{2, 3, 4, 8}}, symmetric round-to-nearest, groups of 32, every Conv/Gemm/MatMul weight. Sensitivity: Hutchinson (forward second differences, KL from the fp32 outputs, 256 calibration images = the first 256 training images). Accuracy: {(samples == 10000 ? "all 10,000" : $"the first {samples:N0}")} Fashion-MNIST test images, run in ONNX Runtime from the exported model. Random: allocations drawn uniformly, kept when their size is 97-100% of the budget.").AppendLine();
        foreach (var n in notes) sb.AppendLine($"- {n}");
        sb.AppendLine().AppendLine("## ILP allocation against uniform and random allocations of the same size").AppendLine();
        sb.AppendLine("*stored*: bytes as the exporter writes them (3-bit codes in 4-bit containers, 2/3-bit Conv codes in int4), so 3 bits never pay off there; *nominal*: b bits per weight plus a float32 scale per group (what HAWQ-style budgets and `mixed_probe.py` count). The PyTorch probe (`mixed_probe.py`, nominal, resnet8 at uniform-4-bit size): HAWQ allocation 0.9136, uniform 0.9118, random median 0.6866.").AppendLine();
        sb.AppendLine("| model | budget | sizes | budget (bytes) | ILP | ILP bits (graph order) | uniform | random median | random best | randoms |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(c, $"| {r.Model} | {r.Budget} | {r.Accounting} | {r.Bytes:N0} | {r.Ilp:F4} | {r.IlpBits} | {r.Uniform:F4} | {r.RandomMedian:F4} | {r.RandomMax:F4} | {r.RandomCount} |");
        sb.AppendLine().AppendLine("## Hutchinson against perturbation and PyTorch autograd (resnet8)").AppendLine();
        sb.AppendLine("| bits | Spearman ρ of Ω over layers, Hutchinson vs perturbation |").AppendLine("|---|---|");
        foreach (var (b, rho) in rhoPerturbation) sb.AppendLine(c, $"| {b} | {rho:F3} |");
        sb.AppendLine();
        sb.AppendLine("| layer | tr(H)/n (Hutchinson, ONNX, BN folded) | ± s.e. | probes | Ω 3-bit Hutchinson | Ω 3-bit perturbation |").AppendLine("|---|---|---|---|---|---|");
        foreach (var (h, p) in hutch.Layers.Zip(perturbation.Layers))
            sb.AppendLine(c, $"| {h.Name} | {h.Trace / h.Parameters:G4} | {h.TraceStandardError / h.Parameters:G2} | {h.Probes} | {h.Omega[3]:G4} | {p.Omega[3]:G4} |");
        sb.AppendLine();
        foreach (var (name, (rho, count)) in rhoTorch)
            sb.AppendLine(c, $"- {name}: Spearman ρ of per-layer tr(H)/n against PyTorch autograd Hutchinson (KL, `hessian_anchor_results.json`, layers matched in graph order, {count} layers): **{rho:F3}** (BN folding rescales conv channels, so values differ; rankings are compared).");
        sb.AppendLine().AppendLine("## `tune` on resnet8, --max-drop 0.5").AppendLine();
        sb.AppendLine(c, $"Stored sizes; uniform int8 is {sizes.UniformBytes(8):N0} bytes, fp32 {sizes.FloatModelBytes:N0}. {tuning.Trials.Count} trials in {tuneSeconds:F0} s.").AppendLine();
        sb.AppendLine("| trial | size (bytes) | bits | accuracy | drop (pt) | within |").AppendLine("|---|---|---|---|---|---|");
        var keys = sizes.LayerBytes.Keys.ToList();
        foreach (var t in tuning.Trials)
            sb.AppendLine(c, $"| {t.Index} | {t.PredictedBytes:N0} | {string.Join(" ", keys.Select(k => t.LayerBits[k]))} | {t.Metric:F4} | {t.DropPoints:F2} | {(t.WithinLimit ? "yes" : "no")} |");
        sb.AppendLine();
        sb.AppendLine(tuning.Best is { } best
            ? string.Create(c, $"Chosen: trial {best.Index}, {best.PredictedBytes:N0} bytes ({(double)best.PredictedBytes / sizes.UniformBytes(8):F3}× uniform int8), accuracy {best.Metric:F4}, drop {best.DropPoints:F2} pt ≤ 0.5: {(best.PredictedBytes < sizes.UniformBytes(8) ? "smaller than uniform int8" : "NOT smaller than uniform int8")}, {tuning.Trials.Count} ≤ 20 trials.")
            : "No trial within the limit.");
        return sb.ToString();
    }
}
