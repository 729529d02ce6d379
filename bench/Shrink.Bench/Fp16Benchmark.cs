using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Onnx;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>fp16</c>: what static int8 gives a user who holds an fp16 export (issue 12: "the written model must be smaller than
/// the fp16 original and not slower"). Each reference classifier is rewritten the way fp16 exports store weights:
/// every float initializer of two or more elements in half precision behind a <c>Cast</c> to float. That model is
/// quantized with the defaults (calibrated on the training images) and compared with the fp16 model it came from:
/// file size, top-1 on the 10,000 test images, and latency at batch 1 and 64, one ORT intra-op thread, both models timed
/// in the same run. The fp32 original's int8 model is quantized alongside; it must come out with the same accuracy.
/// Written to bench/RESULTS-fp16.md.
/// </summary>
internal static class Fp16Benchmark
{
    private const string Fmnist = "/usr/share/datasets/fashion-mnist";
    private static readonly string Calibration = Path.Combine(Fmnist, "train-images-idx3-ubyte.gz");
    private static readonly string Test = Path.Combine(Fmnist, "t10k-images-idx3-ubyte.gz");

    private sealed record Row(string Model, long Fp16Bytes, long Int8Bytes, double Fp16Accuracy, double Int8Accuracy, double Int8FromFp32Accuracy,
        IReadOnlyDictionary<string, double> Fp16Ms, IReadOnlyDictionary<string, double> Int8Ms, IReadOnlyDictionary<string, double> Speedup, int HalfTensors);

    public static int Run(bool quick, string outPath)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        if (!Directory.Exists(models) || !File.Exists(Test))
        {
            Console.Error.WriteLine($"needs {models} and {Fmnist} (apt-get install dataset-fashion-mnist)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-fp16-bench-").FullName;
        try
        {
            var rows = new List<Row>();
            foreach (string name in new[] { "cnn_small", "resnet8", "vit_tiny" })
            {
                Console.WriteLine(name);
                rows.Add(Measure(models, temp, name, quick));
            }
            AtomicFile.WriteAllText(outPath, Report(rows, quick, clock.Elapsed.TotalSeconds));
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string data, string sidecarModel) =>
        inputs => DataSourceFactory.Open(data, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(sidecarModel)! }, inputs);

    private static Row Measure(string models, string temp, string name, bool quick)
    {
        string fp32 = Path.Combine(models, name + ".onnx");
        string fp16 = Path.Combine(temp, name + ".fp16.onnx");
        int halves = WriteHalfWeights(fp32, fp16);
        string int8 = Path.Combine(temp, name + ".fp16.int8.onnx"), int8FromFp32 = Path.Combine(temp, name + ".fp32.int8.onnx");
        var options = new StaticQuantizationOptions { AnalysisSamples = 0 };
        new StaticQuantizer(options).Quantize(OnnxModel.Load(fp16), Open(Calibration, fp32)).Model.Save(int8);
        new StaticQuantizer(options).Quantize(OnnxModel.Load(fp32), Open(Calibration, fp32)).Model.Save(int8FromFp32);
        var evaluation = new EvaluationOptions
        {
            LatencyBatchSizes = [1, 64],
            MaxSamples = quick ? 2000 : null,
            EvalBatchSize = 500,
            Runtime = new RuntimeOptions { IntraOpThreads = 1 },
            Latency = new LatencyMeter { Runs = quick ? 20 : 200, WarmupRuns = 10 },
        };
        // The fp16 model is the reference: its latency is timed in the same run as the int8 model's.
        var eval = new ModelEvaluator(evaluation).Evaluate(int8, fp16, Open(Test, fp32));
        var fromFp32 = new ModelEvaluator(evaluation with { LatencyBatchSizes = [] }).Evaluate(int8FromFp32, null, Open(Test, fp32));
        return new Row(name, new FileInfo(fp16).Length, new FileInfo(int8).Length, eval.ReferenceAccuracy!.Value, eval.Accuracy!.Value, fromFp32.Accuracy!.Value,
            eval.ReferenceLatencyMs!, eval.LatencyMs, eval.Speedup!, halves);
    }

    /// <summary>
    /// Writes <paramref name="fp32"/> with every float initializer of two or more elements stored as float16 behind a
    /// Cast to float (how fp16 exports keep their weights); returns how many tensors it converted.
    /// </summary>
    internal static int WriteHalfWeights(string fp32, string fp16)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(fp32));
        var graph = proto.Graph;
        var casts = new List<NodeProto>();
        int converted = 0;
        foreach (var init in graph.Initializer)
        {
            if (init.DataType != (int)TensorProto.Types.DataType.Float || init.Dims.Aggregate(1L, (a, d) => a * d) < 2) continue;
            float[] values = new TensorData(init).ToFloatArray();
            var bytes = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)values[i]);
            string original = init.Name;
            init.Name = original + "_fp16";
            init.DataType = (int)TensorProto.Types.DataType.Float16;
            init.FloatData.Clear();
            init.RawData = ByteString.CopyFrom(bytes);
            var cast = new NodeProto { OpType = "Cast", Name = "cast_" + original };
            cast.Input.Add(init.Name);
            cast.Output.Add(original);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
            casts.Add(cast);
            converted++;
        }
        for (int i = casts.Count - 1; i >= 0; i--) graph.Node.Insert(0, casts[i]);
        File.WriteAllBytes(fp16, proto.ToByteArray());
        return converted;
    }

    private static string Report(List<Row> rows, bool quick, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Static int8 from fp16 exports").AppendLine();
        sb.AppendLine(c, $"`dotnet run --project bench/Shrink.Bench -c Release -- fp16{(quick ? " --quick" : "")}`; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} cores; {seconds:F0} s.").AppendLine();
        sb.AppendLine("Each reference classifier rewritten as an fp16 export stores it (every float initializer of two or more elements in");
        sb.AppendLine("half precision behind a `Cast` to float), then quantized by `StaticQuantizer` with the defaults (mse ranges, calibrated on");
        sb.AppendLine($"the Fashion-MNIST training images). Top-1 on {(quick ? "the first 2,000" : "the 10,000")} test images. Latency: median of {(quick ? 20 : 200)} runs, one ORT intra-op");
        sb.AppendLine("thread, the fp16 model and its int8 model timed in the same run. \"int8 from fp32\" quantizes the fp32 original with the same options:").AppendLine();
        sb.AppendLine("| model | fp16 tensors | fp16 file | int8 file | size | fp16 top-1 | int8 top-1 | int8 from fp32 | fp16 ms b1 / b64 | int8 ms b1 / b64 | speedup b1 / b64 | smaller and not slower |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            bool met = r.Int8Bytes < r.Fp16Bytes && r.Speedup["1"] >= 0.95 && r.Speedup["64"] >= 0.95;
            sb.AppendLine(c, $"| {r.Model} | {r.HalfTensors} | {r.Fp16Bytes:N0} | {r.Int8Bytes:N0} | {(double)r.Int8Bytes / r.Fp16Bytes:F2}× | {r.Fp16Accuracy:F4} | {r.Int8Accuracy:F4} | {r.Int8FromFp32Accuracy:F4} | {r.Fp16Ms["1"]:F3} / {r.Fp16Ms["64"]:F2} | {r.Int8Ms["1"]:F3} / {r.Int8Ms["64"]:F2} | {r.Speedup["1"]:F2}× / {r.Speedup["64"]:F2}× | {(met ? "yes" : "**no**")} |");
        }
        sb.AppendLine().AppendLine("\"Not slower\" counts a speedup of at least 0.95× (the run-to-run spread on this shared machine) at both batches.");
        return sb.ToString();
    }
}
