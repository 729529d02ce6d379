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

    // x [batch, 8] → MatMul W1 [8, 16] → Add b1 → h → GELU as exported: h·0.5·(1 + Erf(h / √2)) → MatMul W2 [16, 3] → y
    internal static OnnxModel GeluMlp(int hidden = Hidden)
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", Features));
        graph.Initializer.Add(TinyModels.FloatTensor("W1", [Features, hidden], TinyModels.RandomFloats(Features * hidden, 1)));
        graph.Initializer.Add(TinyModels.FloatTensor("b1", [hidden], TinyModels.RandomFloats(hidden, 2)));
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [hidden, Classes], TinyModels.RandomFloats(hidden * Classes, 3)));
        graph.Initializer.Add(TinyModels.FloatTensor("sqrt2", [], [MathF.Sqrt(2)]));
        graph.Initializer.Add(TinyModels.FloatTensor("one", [], [1f]));
        graph.Initializer.Add(TinyModels.FloatTensor("half", [], [0.5f]));
        graph.Node.Add(TinyModels.Node("MatMul", ["x", "W1"], ["m"], "fc1"));
        graph.Node.Add(TinyModels.Node("Add", ["m", "b1"], ["h"], "bias1"));
        graph.Node.Add(TinyModels.Node("Div", ["h", "sqrt2"], ["d"], "div"));
        graph.Node.Add(TinyModels.Node("Erf", ["d"], ["e"], "erf"));
        graph.Node.Add(TinyModels.Node("Add", ["e", "one"], ["a"], "add1"));
        graph.Node.Add(TinyModels.Node("Mul", ["h", "a"], ["g"], "mul"));
        graph.Node.Add(TinyModels.Node("Mul", ["g", "half"], ["gelu"], "half"));
        graph.Node.Add(TinyModels.Node("MatMul", ["gelu", "W2"], ["y"], "fc2"));
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
        // The largest batch under 10,000 bytes: 35 samples (9,804 bytes) without recomputation, 131 (9,960) with it.
        Assert.Equal(35, memory.LargestBatch(plain.KeptActivations, 10_000, 4096));
        Assert.Equal(131, memory.LargestBatch(recomputed.KeptActivations, 10_000, 4096));
        Assert.Equal(0, memory.LargestBatch(plain.KeptActivations, 100, 4096));
        Assert.Equal(4096, memory.LargestBatch(plain.KeptActivations, 1L << 40, 4096));
    }
}
