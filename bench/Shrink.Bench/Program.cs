using Shrink.Model;

namespace Shrink.Bench;

/// <summary>
/// Entry point: <c>Shrink.Bench [--quick] [--out PATH]</c> runs the benchmark; the subcommands <c>loadsave IN OUT</c>,
/// <c>phases IN OUT</c>, <c>parsemapped IN</c> and <c>quantizemem MODEL DATA N</c> are what it runs in child processes,
/// <c>generate DIR</c> writes the two generated models to a folder for a closer look, and
/// <c>int8 [--quick] [--out PATH]</c> runs the int8 quantization benchmark (bench/RESULTS-int8.md),
/// <c>int8-transformers [--quick] [--out PATH]</c> int8 on vit_tiny, tiny_gpt and tiny_gpt_kv (bench/RESULTS-int8-transformers.md),
/// <c>weightonly [--quick] [--out PATH]</c> the weight-only low-bit benchmark (bench/RESULTS-weightonly.md),
/// <c>prune [--quick] [--out PATH]</c> the pruning benchmark (bench/RESULTS-prune.md),
/// <c>prune-sweep [--quick] [--out PATH]</c> resnet8's accuracy against speed over channel-pruning rates
/// (bench/RESULTS-prune-sweep.md and bench/prune-resnet8.png), and
/// <c>mixed [--quick] [--out PATH]</c> the mixed-precision benchmark (bench/RESULTS-mixed.md),
/// <c>outliers [--quick] [--torch] [--out PATH]</c> low-bit activations with smoothing, rotation, equalization and bias
/// correction next to the PyTorch baselines (bench/RESULTS-outliers.md),
/// <c>memory [--shrink DLL] [--out PATH]</c> peak memory and time of quantize/eval on generated CNNs (bench/RESULTS-memory.md),
/// <c>training [--quick] [--out PATH]</c> gradients against PyTorch autograd, training-step time and the conv backward
/// alternatives (bench/RESULTS-training.md; <c>trainstep</c> is its worker process),
/// <c>fp16 [--quick] [--out PATH]</c> static int8 from fp16 exports against the fp16 model (bench/RESULTS-fp16.md),
/// and <c>generate-cnn DIR</c> writes those CNNs to a folder.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 3 && args[0] == "loadsave") return ChildCommands.LoadSave(args[1], args[2]);
            if (args.Length == 3 && args[0] == "phases") return ChildCommands.Phases(args[1], args[2]);
            if (args.Length == 2 && args[0] == "parsemapped") return ChildCommands.ParseMapped(args[1]);
            if (args.Length == 2 && args[0] == "generate") return Generate(args[1]);
            if (args.Length == 2 && args[0] == "generate-cnn") return MemoryBenchmark.Generate(args[1]);
            if (args.Length == 4 && args[0] == "quantizemem") return ChildCommands.QuantizeMemory(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
            if (args.Length >= 1 && args[0] == "int8")
            {
                bool quick = args.Contains("--quick");
                int outAt = Array.IndexOf(args, "--out");
                return Int8Benchmark.Run(quick, outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-int8.md"));
            }
            if (args.Length >= 1 && args[0] == "int8-transformers")
            {
                int outAt = Array.IndexOf(args, "--out");
                return TransformerInt8Benchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-int8-transformers.md"));
            }
            if (args.Length >= 2 && args[0] == "profile")
            {
                int batchAt = Array.IndexOf(args, "--batch");
                int batch = batchAt > 0 ? int.Parse(args[batchAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 64;
                var shapes = new Dictionary<string, long[]>();
                for (int i = 0; i + 1 < args.Length; i++)
                {
                    if (args[i] != "--input-shape") continue;
                    var (name, dims) = (args[i + 1][..args[i + 1].IndexOf('=', StringComparison.Ordinal)], args[i + 1][(args[i + 1].IndexOf('=', StringComparison.Ordinal) + 1)..]);
                    shapes[name] = [.. dims.Split('x').Select(d => long.Parse(d, System.Globalization.CultureInfo.InvariantCulture))];
                }
                return InferenceProfile.Run([.. args.Where(a => a.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))], batch, 20, shapes, args.Contains("--flush-denormals"));
            }
            if (args.Length >= 1 && args[0] == "bert-text")
            {
                int outAt = Array.IndexOf(args, "--out");
                return BertTextBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-bert-text.md"));
            }
            if (args.Length >= 1 && args[0] == "prune")
            {
                int outAt = Array.IndexOf(args, "--out");
                return PruneBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-prune.md"));
            }
            if (args.Length >= 1 && args[0] == "prune-sweep")
            {
                int outAt = Array.IndexOf(args, "--out");
                return PruneSweep.RunBenchmark(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-prune-sweep.md"));
            }
            if (args.Length >= 1 && args[0] == "weightonly")
            {
                int outAt = Array.IndexOf(args, "--out");
                return WeightOnlyBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-weightonly.md"));
            }
            if (args.Length >= 1 && args[0] == "outliers")
            {
                int outAt = Array.IndexOf(args, "--out");
                return OutliersBenchmark.Run(args.Contains("--quick"), args.Contains("--torch"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-outliers.md"));
            }
            if (args.Length >= 1 && args[0] == "finetune")
            {
                int outAt = Array.IndexOf(args, "--out");
                int onlyAt = Array.IndexOf(args, "--only");
                return FineTuneBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-finetune.md"),
                    onlyAt > 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null);
            }
            if (args.Length >= 1 && args[0] == "fp16")
            {
                int outAt = Array.IndexOf(args, "--out");
                return Fp16Benchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-fp16.md"));
            }
            if (args.Length >= 1 && args[0] == "memory")
            {
                int outAt = Array.IndexOf(args, "--out"), dllAt = Array.IndexOf(args, "--shrink");
                return MemoryBenchmark.Run(dllAt > 0 && dllAt + 1 < args.Length ? args[dllAt + 1] : null,
                    outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-memory.md"));
            }
            if (args.Length == 6 && args[0] == "trainstep") return Training.TrainStepWorker.Run(args[1], args[2], args[3], args[4], args[5]);
            if (args.Length is 4 or 5 && args[0] == "trainprofile")
            {
                var tuning = args.Length == 5 ? Training.SessionTuning.Decode(args[4]) : null;
                foreach (var e in Training.StepProfile.Run(args[1], args[2], args[3], 5, tuning)) Console.WriteLine($"{e.OpType,-24} {e.MsPerStep,8:F2} ms/step  {e.Nodes} nodes");
                return 0;
            }
            if (args.Length >= 5 && args[0] == "trainstep-compare")
                return Training.StepComparison.Run(args[1], args[2], args[3], [.. args.Skip(4)]);
            if (args.Length >= 1 && args[0] == "training-conv") return Training.ConvLayerBenchmark.Run(args.Contains("--quick")).Count > 0 ? 0 : 1;
            if (args.Length >= 1 && args[0] == "training")
            {
                int outAt = Array.IndexOf(args, "--out");
                return Training.TrainingBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-training.md"));
            }
            if (args.Length >= 1 && args[0] == "mixed")
            {
                int outAt = Array.IndexOf(args, "--out");
                return MixedPrecisionBenchmark.Run(args.Contains("--quick"), outAt > 0 && outAt + 1 < args.Length ? args[outAt + 1] : Path.Combine("bench", "RESULTS-mixed.md"));
            }
            if (BenchOptions.IsHelp(args))
            {
                Console.WriteLine(BenchOptions.Usage);
                return 0;
            }
            var options = BenchOptions.Parse(args);
            if (options is null) return 2;
            return BenchRunner.Run(options);
        }
        catch (ShrinkException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int Generate(string folder)
    {
        Directory.CreateDirectory(folder);
        (string File, Func<OnnxModel> Build)[] models = [("resnet50.onnx", () => ResNet50Generator.Build()), ("bert_base.onnx", () => BertBaseGenerator.Build())];
        foreach (var (file, build) in models)
        {
            string path = Path.Combine(folder, file);
            var model = build();
            model.Save(path);
            Console.WriteLine($"{path}: {ParameterCount.Of(model):N0} parameters, {new FileInfo(path).Length:N0} bytes");
        }
        return 0;
    }
}
