using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Quantization;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Training.Quantization;

/// <summary>A tiny CNN quantized by the real static quantizer, and ways to run models exactly as written.</summary>
internal static class QatFixtures
{
    // x [batch, 3, 6, 6] → Conv 3→4 3×3 pad 1 (+b) → Relu → MaxPool 2×2 → Conv 4→5 3×3 pad 1 (+b) → Relu → GlobalAveragePool
    // → Flatten → Gemm 5→3 (transB, +b) → logits [batch, 3]
    public static OnnxModel TinyCnn()
    {
        var graph = new GraphProto { Name = "tiny_cnn" };
        graph.Input.Add(FloatInfo("x", "batch", 3, 6, 6));
        graph.Output.Add(FloatInfo("logits", "batch", 3));
        graph.Initializer.Add(FloatTensor("W1", [4, 3, 3, 3], RandomFloats(108, 1).Select(v => 0.5f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("b1", [4], RandomFloats(4, 2).Select(v => 0.1f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("W2", [5, 4, 3, 3], RandomFloats(180, 3).Select(v => 0.4f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("b2", [5], RandomFloats(5, 4).Select(v => 0.1f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("W3", [3, 5], RandomFloats(15, 5)));
        graph.Initializer.Add(FloatTensor("b3", [3], RandomFloats(3, 6).Select(v => 0.1f * v).ToArray()));
        var conv1 = Node("Conv", ["x", "W1", "b1"], ["c1"], "conv1");
        conv1.Attribute.Add(Ints("pads", 1, 1, 1, 1));
        graph.Node.Add(conv1);
        graph.Node.Add(Node("Relu", ["c1"], ["r1"], "relu1"));
        var pool = Node("MaxPool", ["r1"], ["p1"], "pool");
        pool.Attribute.Add(Ints("kernel_shape", 2, 2));
        pool.Attribute.Add(Ints("strides", 2, 2));
        graph.Node.Add(pool);
        var conv2 = Node("Conv", ["p1", "W2", "b2"], ["c2"], "conv2");
        conv2.Attribute.Add(Ints("pads", 1, 1, 1, 1));
        graph.Node.Add(conv2);
        graph.Node.Add(Node("Relu", ["c2"], ["r2"], "relu2"));
        graph.Node.Add(Node("GlobalAveragePool", ["r2"], ["g"], "gap"));
        graph.Node.Add(Node("Flatten", ["g"], ["f"], "flatten"));
        var gemm = Node("Gemm", ["f", "W3", "b3"], ["logits"], "fc");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return OnnxModel.FromProto(BuildModel(graph), "tiny_cnn");
    }

    public static QuantizationResult Quantize(OnnxModel model, int weightBits = 8, int activationBits = 8) =>
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 16, AnalysisSamples = 0, WeightBits = weightBits, ActivationBits = activationBits })
            .Quantize(model, inputs => DataSourceFactory.Open("random:16", new DataOptions { Seed = 3 }, inputs));

    public static TensorProto Input(int batch, int seed) => FloatTensor("x", [batch, 3, 6, 6], RandomFloats(batch * 108, seed));

    public static DataBatch Batch(TensorProto x) =>
        new([new BatchTensor("x", ElementType.Float, [.. x.Dims], MemoryMarshal.Cast<byte, float>(x.RawData.Span).ToArray())], (int)x.Dims[0], null);

    /// <summary>Runs a model with ONNX Runtime's graph optimizations off: Q/DQ run as written, not fused.</summary>
    public static float[] RunAsWritten(OnnxModel model, TensorProto x)
    {
        using var options = OrtRunner.Options();
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        using var session = new InferenceSession(model.ToByteArray(), options);
        return GradientCheck.Floats(OrtRunner.Run(session, new Dictionary<string, TensorProto> { ["x"] = x })[0]);
    }

    /// <summary>Runs a model with ONNX Runtime's default optimizations (QDQ fused into integer kernels).</summary>
    public static float[] RunOptimized(OnnxModel model, TensorProto x) =>
        GradientCheck.Floats(OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = x })[0]);

    /// <summary>Each output within 1e-4 of the expected outputs' largest magnitude.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"output {i}: {what} {expected[i]} vs {actual[i]}");
    }

    /// <summary>A copy of a weight-only QAT model with every parameter moved: scales grow by up to 30 %, weights by up to a few steps (some past the grid's ends).</summary>
    public static OnnxModel Moved(WeightOnlyQatModel qat, int seed)
    {
        var trained = qat.Model.Clone();
        var random = new Random(seed);
        foreach (var p in qat.Parameters)
        {
            var t = trained.Graph.FindInitializer(p)!;
            var v = t.ToFloatArray();
            float step = v.Max(Math.Abs) / 4;
            for (int i = 0; i < v.Length; i++)
                v[i] = qat.Roles[p] == ParameterRole.WeightScale ? v[i] * (1 + 0.3f * (float)random.NextDouble()) : v[i] + step * (float)(random.NextDouble() - 0.5);
            trained.Graph.SetInitializer(TensorData.FromFloats(p, t.Dims.ToArray(), v));
        }
        return trained;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
