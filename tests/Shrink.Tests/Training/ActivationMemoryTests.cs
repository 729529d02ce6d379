using Onnx;
using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training;

/// <summary><see cref="ActivationMemory"/>: the bytes of the forward values a training step keeps, at any batch.</summary>
public sealed class ActivationMemoryTests
{
    internal const int Features = 8, Hidden = 16, Classes = 3;

    // x [batch, 8] → MatMul W1 [8, 16] → Add b1 → h → GELU as exported: h·0.5·(1 + Erf(h / √2)) → MatMul W2 [16, 3] → y.
    // With more layers, each further hidden layer is MatMul Wk [16, 16] → Add bk → GELU (names suffixed by the layer).
    internal static OnnxModel GeluMlp(int hidden = Hidden, int layers = 1)
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", Features));
        graph.Initializer.Add(TinyModels.FloatTensor("sqrt2", [], [MathF.Sqrt(2)]));
        graph.Initializer.Add(TinyModels.FloatTensor("one", [], [1f]));
        graph.Initializer.Add(TinyModels.FloatTensor("half", [], [0.5f]));
        string input = "x";
        int width = Features;
        for (int l = 1; l <= layers; l++)
        {
            string s = l == 1 ? "" : l.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string w = l == 1 ? "W1" : $"W1_{l}", b = l == 1 ? "b1" : $"b1_{l}";
            graph.Initializer.Add(TinyModels.FloatTensor(w, [width, hidden], TinyModels.RandomFloats(width * hidden, l == 1 ? 1 : 10 * l)));
            graph.Initializer.Add(TinyModels.FloatTensor(b, [hidden], TinyModels.RandomFloats(hidden, l == 1 ? 2 : (10 * l) + 1)));
            graph.Node.Add(TinyModels.Node("MatMul", [input, w], ["m" + s], "fc1" + s));
            graph.Node.Add(TinyModels.Node("Add", ["m" + s, b], ["h" + s], "bias1" + s));
            graph.Node.Add(TinyModels.Node("Div", ["h" + s, "sqrt2"], ["d" + s], "div" + s));
            graph.Node.Add(TinyModels.Node("Erf", ["d" + s], ["e" + s], "erf" + s));
            graph.Node.Add(TinyModels.Node("Add", ["e" + s, "one"], ["a" + s], "add1" + s));
            graph.Node.Add(TinyModels.Node("Mul", ["h" + s, "a" + s], ["g" + s], "mul" + s));
            graph.Node.Add(TinyModels.Node("Mul", ["g" + s, "half"], ["gelu" + s], "half" + s));
            input = "gelu" + s;
            width = hidden;
        }
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [hidden, Classes], TinyModels.RandomFloats(hidden * Classes, 3)));
        graph.Node.Add(TinyModels.Node("MatMul", [input, "W2"], ["y"], "fc2"));
        graph.Output.Add(TinyModels.FloatInfo("y", "batch", Classes));
        return OnnxModel.FromProto(TinyModels.BuildModel(graph), "mlp");
    }

    private static DataBatch Feed(TrainingGraph graph, int n)
    {
        var feed = new List<BatchTensor>
        {
            new("x", ElementType.Float, [n, Features], TinyModels.RandomFloats(n * Features, 5)),
            new("target", ElementType.Float, [n, Classes], TinyModels.RandomFloats(n * Classes, 6)),
        };
        foreach (var p in graph.Parameters)
            feed.Add(new BatchTensor(p, ElementType.Float, [.. graph.InitialValues[p].Dims], graph.InitialValues[p].ToFloatArray(), batchAxis: -1));
        return new DataBatch(feed, n, null);
    }

    private static TrainingGraph Build(bool recompute) =>
        Gradients.Build(GeluMlp(), LossSpec.MeanSquaredError("y"), ["W1", "b1", "W2"], recompute: recompute);

    [Fact]
    public void The_kept_values_of_a_gelu_mlp_take_the_bytes_counted_by_hand_at_any_batch()
    {
        var plain = Build(recompute: false);
        var recomputed = Build(recompute: true);
        // Read by the backward pass: h and a (the Mul h·a), d (Erf), gelu (fc2's weight gradient), the loss's difference
        // y − target (its square's gradient), the square and the scalar loss (their shapes and sizes, for ReduceMean's
        // gradient over a symbolic batch). x is a graph input, W/b parameters, sqrt2/half initializers: not counted.
        Assert.Equal(["h", "d", "a", "gelu", "loss/Sub", "loss/Mul", "loss/ReduceMean"], plain.KeptActivations);
        // With recomputation d, a and gelu are computed again from h in the backward pass, and the square from the difference.
        Assert.Equal(["h", "loss/Sub", "loss/ReduceMean"], recomputed.KeptActivations);

        var memory = ActivationMemory.Measure(plain, [.. plain.KeptActivations], n => Feed(plain, n));
        // Per sample: four float values of 16 and two of 3: 4·16·4 + 2·3·4 = 280 bytes, plus the 4-byte loss once;
        // with recomputation 16·4 + 3·4 = 76 bytes per sample.
        Assert.Equal(280L * 5 + 4, memory.Bytes(plain.KeptActivations, 5));
        Assert.Equal(280L * 1000 + 4, memory.Bytes(plain.KeptActivations, 1000));
        Assert.Equal(76L * 64 + 4, memory.Bytes(recomputed.KeptActivations, 64));
    }

    [Fact]
    public void Peak_counts_each_value_from_its_node_until_its_last_reader()
    {
        // x → A (100 B/sample); B = h(A) (50); the output C = f(A, B); D = g(A), read by nothing (1,000 B fixed). Run
        // depth-first from the output: a, b, c, then d, which no output needs. At n samples: A 100n; B 150n; C is an output
        // (the caller's buffer: not counted), then B is freed; d: 100n + 1,000, then A and D are freed.
        // So the peak is max(150n, 100n + 1,000).
        var graph = new GraphProto { Name = "live" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", 4));
        graph.Node.Add(TinyModels.Node("Relu", ["x"], ["A"], "a"));
        graph.Node.Add(TinyModels.Node("Relu", ["A"], ["D"], "d"));
        graph.Node.Add(TinyModels.Node("Relu", ["A"], ["B"], "b"));
        graph.Node.Add(TinyModels.Node("Add", ["A", "B"], ["C"], "c"));
        graph.Output.Add(TinyModels.FloatInfo("C", "batch", 4));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(graph), "live").Graph;
        var memory = ActivationMemory.FromSizes(new Dictionary<string, (long, long)> { ["A"] = (0, 100), ["B"] = (0, 50), ["C"] = (0, 10), ["D"] = (1000, 0) });
        Assert.Equal(1100, memory.PeakBytes(model, 1));
        Assert.Equal(2000, memory.PeakBytes(model, 10));
        Assert.Equal(4500, memory.PeakBytes(model, 30));
        Assert.Equal(66, memory.LargestBatch(model, 10_000, 4096)); // 150 · 66 = 9,900
        Assert.Equal(0, memory.LargestBatch(model, 1000, 4096));
    }

    [Fact]
    public void Peak_of_a_training_step_holds_the_kept_values_and_grows_with_the_batch()
    {
        var plain = Build(recompute: false);
        var memory = ActivationMemory.MeasureAll(plain, n => Feed(plain, n));
        foreach (int batch in new[] { 1, 8, 64 })
            Assert.True(memory.PeakBytes(plain.Model.Graph, batch) >= memory.Bytes(plain.KeptActivations, batch), $"batch {batch}");
        // Everything but the scalar loss grows with the batch: 100 samples take 100 times the per-sample bytes.
        long one = memory.PeakBytes(plain.Model.Graph, 1), two = memory.PeakBytes(plain.Model.Graph, 2), hundred = memory.PeakBytes(plain.Model.Graph, 100);
        Assert.True(two > one, $"{one} → {two}");
        Assert.InRange(hundred, 90 * (two - one), 110 * two);
    }
}
