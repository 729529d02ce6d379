using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Reports;

/// <summary>A tiny two-layer MLP made in code and the four results (static int8, weight-only, sparsity, channels) reported on it.</summary>
internal static class ReportFixtures
{
    /// <summary><c>input [batch,32] → fc1 MatMul [32,32] → Relu → fc2 MatMul [32,8] → output</c>.</summary>
    public static ModelProto TwoLayerMlp()
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(TinyModels.FloatInfo("input", "batch", 32));
        graph.Output.Add(TinyModels.FloatInfo("output", "batch", 8));
        graph.Initializer.Add(TinyModels.FloatTensor("W1", [32, 32], TinyModels.RandomFloats(32 * 32, 3)));
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [32, 8], TinyModels.RandomFloats(32 * 8, 4)));
        graph.Node.Add(TinyModels.Node("MatMul", ["input", "W1"], ["h"], "fc1"));
        graph.Node.Add(TinyModels.Node("Relu", ["h"], ["a"], "relu"));
        graph.Node.Add(TinyModels.Node("MatMul", ["a", "W2"], ["output"], "fc2"));
        return TinyModels.BuildModel(graph);
    }

    public static Func<IReadOnlyList<ModelInputSpec>, IDataSource> RandomData => inputs => DataSourceFactory.Open("random:32", new DataOptions(), inputs);

    public static OnnxModel Model() => OnnxModel.FromProto(TwoLayerMlp());

    public static QuantizationResult Static() =>
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 32, AnalysisSamples = 16, MinReductionSize = 1 }).Quantize(Model(), RandomData);

    public static WeightOnlyResult WeightOnly() =>
        new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 4, GroupSize = 16, Method = "rtn", Samples = 32 }).Quantize(Model(), RandomData);

    public static SparsityResult Sparsity() =>
        new SparsityPruner(new SparsityOptions { Sparsity = 0.5, Samples = 32 }).Prune(Model(), RandomData);

    public static ChannelPruningResult Channels() =>
        new ChannelPruner(new ChannelPruningOptions { Sparsity = 0.5, ChannelMultiple = 1, Samples = 32 }).Prune(Model(), null);

    /// <summary>A report with both kinds of chart, a table and notes, and a label that must be escaped.</summary>
    public static Report Synthetic() =>
        new Report("Demo of `tiny.onnx`", [new ReportSection("Summary", new MarkdownTable("item", "value").Add("size", "1 KiB → 0.5 KiB").Add("<script>alert(1)</script>", "a|b"), ["a note with `code`"])])
        {
            Charts =
            [
                new BarChart("Per-layer error", "relative error", [new ChartBar("fc1", 0.02), new ChartBar("fc2 <b>", 0.05), new ChartBar("exact", double.PositiveInfinity)]),
                new ScatterChart("Accuracy vs size", "size, MB", "accuracy", [new ChartPoint(1.6, 0.91, "fp32", true), new ChartPoint(0.4, 0.905, "int8", true), new ChartPoint(0.5, 0.88, "int8 minmax")]),
            ],
            Recipe = """{"model": "tiny.onnx", "output": "out.onnx", "steps": [{"method": "quantize"}]}""",
        };
}
