using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Runtime;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// <c>training [--quick]</c>: issue 16's "Gradients" and "Speed" targets. (1) Parameter gradients of each reference
/// model's loss on a real batch against PyTorch autograd on the same .pt weights and batch (bench/torch_training.py).
/// (2) Training-step time (forward + backward + SGD with momentum) of vit_tiny and resnet8 at batch 64, one thread,
/// against PyTorch, interleaved, with each side's peak RSS. (3) Conv backward alternatives on resnet8's layers and ORT
/// session settings for the training session. Writes bench/RESULTS-training.md.
/// </summary>
internal static class TrainingBenchmark
{
    private const double GradientTarget = 1e-4;

    private sealed record ParityRow(string Model, string Batch, int Compared, int NotCompared, double? LossOurs, double LossTorch, double Worst, string WorstParameter, double Median, double WeightDiff, string? Refusal);

    private sealed record StepRow(string Model, int Batch, string Setting, double OursMs, double? TorchMs, long OursRssKiB, long? TorchRssKiB, int Steps);

    public static int Run(bool quick, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        string baselines = Path.GetFullPath(Path.Combine(root, "..", "shared", "baselines"));
        string script = Path.Combine(root, "bench", "torch_training.py");
        if (!File.Exists(Path.Combine(models, "resnet8.onnx")) || !File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
        {
            Console.Error.WriteLine($"needs {models} (the reference models and their .pt weights), {baselines} and /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-training-bench-").FullName;
        try
        {
            var torch = new TorchSide(script, models, baselines);
            var parity = new List<ParityRow>();
            foreach (var spec in TrainingModels.All) parity.Add(Parity(spec, models, torch, Path.Combine(temp, spec.Name)));

            var steps = new List<StepRow>();
            var plain = new[] { new OursSetting(SessionTuning.Default, ConvWeightGradient.Auto) };
            foreach (var name in new[] { "vit_tiny", "resnet8" })
                steps.AddRange(StepTimes(name, models, torch, Path.Combine(temp, name), quick, name == "resnet8" ? ResnetSettings(quick) : plain));

            var profiles = new Dictionary<string, List<StepProfile.Entry>>(StringComparer.Ordinal);
            foreach (var name in new[] { "resnet8", "vit_tiny" })
            {
                Console.WriteLine($"profile: {name}");
                profiles[name] = StepProfile.Run(name, Path.Combine(models, name + ".onnx"), Path.Combine(temp, name), quick ? 3 : 10);
            }

            Console.WriteLine("conv layers of resnet8, batch 64");
            var layers = ConvLayerBenchmark.Run(quick);

            string report = Report(parity, steps, profiles, layers, quick, torch.Version, clock.Elapsed.TotalSeconds);
            AtomicFile.WriteAllText(outPath, report);
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Our side of a step timing: the ORT session settings and the Conv weight-gradient form.</summary>
    private sealed record OursSetting(SessionTuning Tuning, ConvWeightGradient Conv)
    {
        public string Label => $"{Tuning.Label}; dW {Conv}";
    }

    // resnet8: the default first (compared with PyTorch), then each conv weight-gradient form and each session setting.
    private static OursSetting[] ResnetSettings(bool quick)
    {
        var d = SessionTuning.Default;
        OursSetting[] forms = [new(d, ConvWeightGradient.Auto), new(d, ConvWeightGradient.Im2ColGemm), new(d, ConvWeightGradient.Im2ColBatched), new(d, ConvWeightGradient.TransposedConv), new(d, ConvWeightGradient.Im2ColWidth)];
        if (quick) return forms;
        return
        [
            .. forms,
            new(new("extended optimizations", Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED), ConvWeightGradient.Auto),
            new(new("basic optimizations", Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC), ConvWeightGradient.Auto),
            new(new("no optimizations", Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL), ConvWeightGradient.Auto),
            new(d with { Label = "memory pattern off", MemoryPattern = false }, ConvWeightGradient.Auto),
            new(d with { Label = "CPU arena off", Arena = false }, ConvWeightGradient.Auto),
        ];
    }

    /// <summary>The PyTorch side: bench/torch_training.py with Debian's python3.</summary>
    private sealed class TorchSide(string script, string models, string baselines)
    {
        public string Version { get; private set; } = "?";

        public bool Batch(string name, string folder, int n) =>
            PythonScript.Run(script, null, "batch", name, models, baselines, folder, n.ToString(CultureInfo.InvariantCulture)) is not null;

        public JsonElement? Gradients(string name, string folder)
        {
            var result = PythonScript.RunJson(script, null, "grads", name, models, baselines, folder);
            if (result is { } r && r.TryGetProperty("torch", out var v)) Version = v.GetString() ?? "?";
            return result;
        }

        public WorkerProcess Worker(string name, string folder) =>
            new("/usr/bin/python3", [script, "step", name, models, baselines, folder], $"PyTorch {name}");
    }

    private static ParityRow Parity(TrainingModels.Spec spec, string models, TorchSide torch, string folder)
    {
        Console.WriteLine($"gradients: {spec.Name}");
        if (!torch.Batch(spec.Name, folder, spec.ParityBatch) || torch.Gradients(spec.Name, folder) is not { } reference)
            return new ParityRow(spec.Name, spec.BatchText, 0, 0, null, double.NaN, double.NaN, "", double.NaN, double.NaN, "the PyTorch side failed (see stderr)");
        var pairs = reference.GetProperty("params").EnumerateArray().ToArray();
        int notCompared = reference.GetProperty("unmatched_onnx").GetArrayLength() + reference.GetProperty("unmatched_torch").GetArrayLength();
        double lossTorch = reference.GetProperty("loss").GetDouble();
        double weightDiff = pairs.Max(p => p.GetProperty("weight_diff").GetDouble());
        var model = OnnxModel.Load(Path.Combine(models, spec.Name + ".onnx"));
        string[] parameters = [.. pairs.Select(p => p.GetProperty("onnx").GetString()!)];
        TrainingGraph graph;
        try
        {
            graph = Gradients.Build(model, TrainingModels.Loss(spec.Name), parameters);
        }
        catch (ShrinkException e)
        {
            Console.WriteLine($"  {e.Message}");
            return new ParityRow(spec.Name, spec.BatchText, 0, pairs.Length, null, lossTorch, double.NaN, "", double.NaN, weightDiff, e.Message);
        }
        using var step = new OrtTrainingStep(graph, RawBatch.Load(folder), SessionTuning.Default);
        step.ComputeGradients();
        var errors = new List<(double Error, string Name)>();
        for (int i = 0; i < pairs.Length; i++)
        {
            var theirs = RawBatch.ReadFloats(Path.Combine(folder, pairs[i].GetProperty("file").GetString()!));
            var ours = step.Gradients[i];
            double diff = 0, norm = 0;
            for (int k = 0; k < ours.Length; k++)
            {
                double d = (double)ours[k] - theirs[k];
                diff += d * d;
                norm += (double)theirs[k] * theirs[k];
            }
            double relative = norm > 0 ? Math.Sqrt(diff / norm) : Math.Sqrt(diff);
            errors.Add((relative, $"{parameters[i]} ({pairs[i].GetProperty("torch").GetString()}{(pairs[i].GetProperty("how").GetString() == "transposed" ? "ᵀ" : "")})"));
        }
        var worst = errors.MaxBy(e => e.Error);
        double median = Stats.Median([.. errors.Select(e => e.Error)]);
        Console.WriteLine($"  loss {step.Loss:G7} vs {lossTorch:G7}; worst relative gradient error {worst.Error:G3} at {worst.Name}; median {median:G3}");
        return new ParityRow(spec.Name, spec.BatchText, pairs.Length, notCompared, step.Loss, lossTorch, worst.Error, worst.Name, median, weightDiff, null);
    }

    private static List<StepRow> StepTimes(string name, string models, TorchSide torch, string folder, bool quick, OursSetting[] settings)
    {
        const int batch = 64;
        Console.WriteLine($"step time: {name}, batch {batch}");
        if (!File.Exists(Path.Combine(folder, "batch.json")) && !torch.Batch(name, folder, batch)) return [];
        string onnx = Path.Combine(models, name + ".onnx");
        string dll = Path.Combine(AppContext.BaseDirectory, "Shrink.Bench.dll");
        var ours = settings.Select(t => new WorkerProcess(DotnetHost(), [dll, "trainstep", name, onnx, folder, t.Tuning.Encode(), t.Conv.ToString()], $"Shrink {name} ({t.Label})")).ToList();
        using var theirs = torch.Worker(name, folder);
        try
        {
            int rounds = quick ? 4 : 12, perRound = quick ? 3 : 4;
            foreach (var w in ours) w.Run(3);
            theirs.Run(3);
            var times = ours.Select(_ => new List<double>()).ToList();
            var torchTimes = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                // Alternate who goes first, so a slow phase of the shared machine hits both sides alike.
                if (r % 2 == 1) torchTimes.AddRange(theirs.Run(perRound));
                for (int i = 0; i < ours.Count; i++) times[i].AddRange(ours[i].Run(perRound));
                if (r % 2 == 0) torchTimes.AddRange(theirs.Run(perRound));
            }
            long torchRss = theirs.PeakRssKiB();
            var rows = new List<StepRow>();
            for (int i = 0; i < ours.Count; i++)
            {
                var row = new StepRow(name, batch, settings[i].Label, Stats.Median(times[i]), i == 0 ? Stats.Median(torchTimes) : null, ours[i].PeakRssKiB(), i == 0 ? torchRss : null, times[i].Count);
                Console.WriteLine($"  {row.Setting}: ours {row.OursMs:F2} ms{(row.TorchMs is double t ? $", PyTorch {t:F2} ms" : "")}");
                rows.Add(row);
            }
            return rows;
        }
        finally
        {
            foreach (var w in ours) w.Dispose();
        }
    }

    // "No backward rule for op X (node 'n'); rules exist for: …" without the list.
    private static string ShortRefusal(string message)
    {
        int cut = message.IndexOf("; rules exist for", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Replace("|", "\\|", StringComparison.Ordinal);
    }

    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static string Report(List<ParityRow> parity, List<StepRow> steps, Dictionary<string, List<StepProfile.Entry>> profiles, List<ConvLayerBenchmark.Row> layers, bool quick, string torchVersion, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Training on the ONNX graph: gradients and step time (issue 16)").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- training{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors (shared with other jobs), ONNX Runtime {OrtInfo.Version} (C# API, one intra-op thread), PyTorch {torchVersion} (Debian's python3-torch, `torch.set_num_threads(1)`), .NET {Environment.Version}.").AppendLine();
        sb.AppendLine("## Targets").AppendLine();
        var built = parity.Where(r => r.Refusal is null).ToList();
        sb.AppendLine(c, $"- Gradients ≤ 1e-4 relative to PyTorch autograd: {built.Count(r => r.Worst <= GradientTarget)} of {parity.Count} reference models met ({string.Join(", ", built.Select(r => $"{r.Model} {r.Worst:0.0E+0}"))}){(parity.Any(r => r.Refusal is not null) ? $"; not built: {string.Join(", ", parity.Where(r => r.Refusal is not null).Select(r => $"{r.Model} ({ShortRefusal(r.Refusal!)})"))}" : "")}.");
        foreach (var r in steps.Where(s => s.TorchMs is not null))
        {
            double limit = r.Model == "vit_tiny" ? 1.0 : 1.2, ratio = r.OursMs / r.TorchMs!.Value;
            sb.AppendLine(c, $"- {r.Model} training step ≤ {limit:F1}× PyTorch's: {r.OursMs:F1} ms vs {r.TorchMs:F1} ms = {ratio:F2}×: {(ratio <= limit ? "met" : "**missed**")}; peak RSS {r.OursRssKiB / 1024.0:F0} MiB vs {r.TorchRssKiB / 1024.0:F0} MiB.");
        }
        sb.AppendLine("- The machine is shared (2 cores, other builds and tests running): absolute times vary by 2–5× between runs; the interleaved medians make the ratios, not the milliseconds, the comparable figures.").AppendLine();
        sb.AppendLine("## Gradients against PyTorch autograd").AppendLine();
        sb.AppendLine("Our gradients: `Gradients.Build(model, loss, parameters)` on the shared ONNX model, run by ONNX Runtime. PyTorch's: autograd on the same `.pt` weights (`../shared/models`) and model classes (`../shared/baselines`), on the same batch (both read the files `bench/torch_training.py batch` writes). cnn_small and resnet8 have BatchNorm folded into their convolutions in the ONNX files, so the PyTorch model is built with the same folding (`fuse_conv_bn_eval`, eval statistics) and the gradients compared are those of the folded convolution weights and biases, i.e. of the ONNX initializers themselves; BatchNorm's own γ/β are not compared (they do not exist in the ONNX model). ONNX initializers are paired with torch parameters by value (same shape, transposed for MatMul weights, or reshaped for GroupNorm's affine); \"weight Δ\" is the largest difference of a pair's values (folding rounding). Error per parameter = ‖g_ours − g_torch‖ / ‖g_torch‖; the target is ≤ 1e-4 for the worst parameter.").AppendLine();
        sb.AppendLine("| model | batch and loss | parameters compared | loss (ours / PyTorch) | worst relative error (parameter) | median | weight Δ | ≤ 1e-4 |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in parity)
        {
            if (r.Refusal is not null)
            {
                sb.AppendLine(c, $"| {r.Model} | {r.Batch} | – | – / {r.LossTorch:G7} | not built: {ShortRefusal(r.Refusal)} | – | – | **not met** |");
                continue;
            }
            string notCompared = r.NotCompared > 0 ? $" ({r.NotCompared} unpaired)" : " (all)";
            sb.AppendLine(c, $"| {r.Model} | {r.Batch} | {r.Compared}{notCompared} | {r.LossOurs:G7} / {r.LossTorch:G7} | {r.Worst:0.0E+0} ({r.WorstParameter}) | {r.Median:0.0E+0} | {r.WeightDiff:0.0E+0} | {(r.Worst <= GradientTarget ? "met" : "**missed**")} |");
        }
        sb.AppendLine();
        sb.AppendLine("## Training-step time, batch 64, one thread").AppendLine();
        sb.AppendLine("One step = forward + backward + SGD with momentum 0.9, lr 0.01, over every parameter. Ours: one ONNX Runtime run of the training graph (inputs, parameters and gradient outputs bound once to managed arrays with an IoBinding), then the update in C# with `TensorPrimitives` (v = 0.9·v + g; w −= 0.01·v). PyTorch: `zero_grad`, forward, `loss.backward()`, `torch.optim.SGD(momentum=0.9).step()` on the same weights (BatchNorm folded, as above) and batch. Each side runs in its own worker process; after 3 warm-up steps each, the workers take turns in rounds of a few steps (alternating which goes first), and the figure is the median step time. Peak memory = the worker process's VmHWM (ours includes the .NET runtime and ONNX Runtime; PyTorch's includes the Python interpreter and torch).").AppendLine();
        sb.AppendLine("| model | ORT session | ours ms | PyTorch ms | ours / PyTorch | target | ours peak RSS MiB | PyTorch peak RSS MiB | steps timed |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in steps)
        {
            double? torchMs = r.TorchMs ?? steps.FirstOrDefault(s => s.Model == r.Model && s.TorchMs is not null)?.TorchMs;
            double? ratio = torchMs is double t ? r.OursMs / t : null;
            double limit = r.Model == "vit_tiny" ? 1.0 : 1.2;
            string target = ratio is double q ? $"≤ {limit:F1}: {(q <= limit ? "met" : "**missed**")}" : "–";
            sb.AppendLine(c, $"| {r.Model} | {r.Setting} | {r.OursMs:F2} | {(r.TorchMs is double tm ? tm.ToString("F2", c) : "(above)")} | {(ratio is double x ? x.ToString("F2", c) : "–")} | {target} | {r.OursRssKiB / 1024.0:F0} | {(r.TorchRssKiB is long tr ? (tr / 1024.0).ToString("F0", c) : "–")} | {r.Steps} |");
        }
        sb.AppendLine();
        sb.AppendLine("### Where our step's time goes").AppendLine();
        sb.AppendLine("ONNX Runtime's profiler over runs of the training graph (forward + backward, no update), kernel time per op type of the optimized graph, ms per step; the ten largest. FusedConv is a forward Conv fused with its ReLU; Where/Greater is ReLU's backward; Slice/Concat/Pad/Transpose include the im2col columns of the conv weight gradients.").AppendLine();
        foreach (var (model, entries) in profiles)
        {
            double total = entries.Sum(e => e.MsPerStep);
            sb.AppendLine(c, $"- **{model}** ({total:F1} ms of kernels per step): {string.Join(", ", entries.Take(10).Select(e => $"{e.OpType} {e.MsPerStep:F1} ({e.Nodes})"))}.");
        }
        sb.AppendLine();
        sb.AppendLine("## Conv backward on resnet8's layers, batch 64, one thread").AppendLine();
        sb.AppendLine("One Conv (+ bias) + ReLU + MSE to zeros, gradients of the input (ConvTranspose in every form), weight and bias; one ORT run of the training graph, median over interleaved runs. The weight gradient's forms (`ConvWeightGradient`): **Auto** (the rule's default) = Im2ColBatched for 1×1 kernels, Im2ColWidth for 2-D kernels at stride 1 over at least 16 input channels, Im2ColGemm for other larger kernels at stride 1, TransposedConv for larger kernels with strides; **Im2ColGemm** = batch and channels of the padded input swapped, one strided Slice per kernel offset stacked into columns [C·k², N·out], one Gemm g[M, N·out] · columnsᵀ; **Im2ColBatched** = columns per sample [N, C·k², out], a batched MatMul and a ReduceSum over the batch; **TransposedConv** = a Conv over transposed tensors (g as the kernel; the only form before this benchmark); **Im2ColWidth** (2-D, stride 1; others fall back to Im2ColGemm) = columns for the kernel's width offsets only [C·k_w, N·H_p·W_out], and per kernel row kh one Gemm with g padded by kh rows above, so k_w copies of X instead of k².").AppendLine();
        sb.AppendLine(c, $"| layer | {string.Join(" | ", ConvLayerBenchmark.Forms.Select(f => f + " ms"))} |");
        sb.AppendLine(c, $"|---|{string.Concat(ConvLayerBenchmark.Forms.Select(_ => "---|"))}");
        foreach (var group in layers.GroupBy(r => r.Layer))
        {
            double best = group.Min(r => r.Ms);
            sb.AppendLine(c, $"| {group.Key.Label} | {string.Join(" | ", group.Select(r => r.Ms == best ? $"**{r.Ms:F2}**" : r.Ms.ToString("F2", c)))} |");
        }
        sb.AppendLine();
        return sb.ToString();
    }
}
