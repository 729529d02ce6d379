using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

/// <summary>Small conv and dense models made in code for the equalization and bias correction tests, and helpers to run them.</summary>
internal static class EquivalenceFixtures
{
    /// <summary>Conv weight [out, in, k, k] with output channel o scaled by <paramref name="rowScales"/>[o] (a wide spread of ranges).</summary>
    public static TensorProto ConvWeight(string name, int cout, int cin, int k, int seed, float[]? rowScales = null)
    {
        var w = RandomFloats(cout * cin * k * k, seed);
        if (rowScales is not null)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < cin * k * k; i++) w[o * cin * k * k + i] *= rowScales[o];
        return FloatTensor(name, [cout, cin, k, k], w);
    }

    /// <summary>
    /// input [batch,3,6,6] → conv1 (4 channels, 3×3, pads 1, ranges 0.01..10) → <paramref name="between"/> → conv2 (5 channels, 1×1) → output.
    /// <paramref name="between"/>: "Relu", "Clip" (0..6, named clip6), "Sigmoid", or "" (none).
    /// </summary>
    public static ModelProto ConvPair(string between)
    {
        var g = new GraphProto { Name = "conv_pair" };
        g.Input.Add(FloatInfo("input", "batch", 3, 6, 6));
        g.Output.Add(FloatInfo("output", "batch", 5, 6, 6));
        g.Initializer.Add(ConvWeight("w1", 4, 3, 3, 1, [0.01f, 0.1f, 1f, 10f]));
        g.Initializer.Add(FloatTensor("b1", [4], RandomFloats(4, 2)));
        g.Initializer.Add(ConvWeight("w2", 5, 4, 1, 3));
        g.Initializer.Add(FloatTensor("b2", [5], RandomFloats(5, 4)));
        var conv1 = Node("Conv", ["input", "w1", "b1"], ["h"], "conv1");
        conv1.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        g.Node.Add(conv1);
        string x = "h";
        if (between == "Clip")
        {
            g.Initializer.Add(FloatTensor("zero", [], [0f]));
            g.Initializer.Add(FloatTensor("six", [], [6f]));
            g.Node.Add(Node("Clip", ["h", "zero", "six"], ["a"], "clip6"));
            x = "a";
        }
        else if (between.Length > 0)
        {
            g.Node.Add(Node(between, ["h"], ["a"], between.ToLowerInvariant()));
            x = "a";
        }
        g.Node.Add(Node("Conv", [x, "w2", "b2"], ["output"], "conv2"));
        return BuildModel(g);
    }

    /// <summary>
    /// input [batch,3,6,6] → pw1 (1×1 to 6, ranges spread) → Relu → dw (3×3 depthwise, group 6, pads 1, ranges spread) → Relu → pw2 (1×1 to 4) → output.
    /// </summary>
    public static ModelProto DepthwiseChain()
    {
        var g = new GraphProto { Name = "depthwise" };
        g.Input.Add(FloatInfo("input", "batch", 3, 6, 6));
        g.Output.Add(FloatInfo("output", "batch", 4, 6, 6));
        g.Initializer.Add(ConvWeight("w1", 6, 3, 1, 11, [0.02f, 0.5f, 1f, 3f, 8f, 0.1f]));
        g.Initializer.Add(FloatTensor("b1", [6], RandomFloats(6, 12)));
        g.Initializer.Add(ConvWeight("wd", 6, 1, 3, 13, [5f, 0.05f, 1f, 0.3f, 2f, 20f]));
        g.Initializer.Add(FloatTensor("bd", [6], RandomFloats(6, 14)));
        g.Initializer.Add(ConvWeight("w2", 4, 6, 1, 15));
        g.Node.Add(Node("Conv", ["input", "w1", "b1"], ["h1"], "pw1"));
        g.Node.Add(Node("Relu", ["h1"], ["a1"], "relu1"));
        var dw = Node("Conv", ["a1", "wd", "bd"], ["h2"], "dw");
        dw.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = 6 });
        dw.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        g.Node.Add(dw);
        g.Node.Add(Node("Relu", ["h2"], ["a2"], "relu2"));
        g.Node.Add(Node("Conv", ["a2", "w2"], ["output"], "pw2"));
        return BuildModel(g);
    }

    /// <summary>input [batch,16,4,4] → pw1 (1×1 to 16, ranges spread) → Relu → pw2 (1×1 to 8) → output: reductions of 16, so static int8 quantizes both.</summary>
    public static ModelProto PointwisePair()
    {
        var g = new GraphProto { Name = "pointwise" };
        g.Input.Add(FloatInfo("input", "batch", 16, 4, 4));
        g.Output.Add(FloatInfo("output", "batch", 8, 4, 4));
        g.Initializer.Add(ConvWeight("w1", 16, 16, 1, 51, Enumerable.Range(0, 16).Select(i => MathF.Pow(2, i % 8 - 4)).ToArray()));
        g.Initializer.Add(FloatTensor("b1", [16], RandomFloats(16, 52)));
        g.Initializer.Add(ConvWeight("w2", 8, 16, 1, 53));
        g.Node.Add(Node("Conv", ["input", "w1", "b1"], ["h"], "pw1"));
        g.Node.Add(Node("Relu", ["h"], ["a"], "relu"));
        g.Node.Add(Node("Conv", ["a", "w2"], ["output"], "pw2"));
        return BuildModel(g);
    }

    /// <summary>input [batch,8] → Abs (inputs with a non-zero mean) → MatMul W [8,6] (column ranges 0.02..5) → output.</summary>
    public static ModelProto AbsMatMul()
    {
        var g = new GraphProto { Name = "dense" };
        g.Input.Add(FloatInfo("input", "batch", 8));
        g.Output.Add(FloatInfo("output", "batch", 6));
        var w = RandomFloats(48, 21);
        float[] scales = [0.02f, 0.3f, 1f, 5f, 0.1f, 2f];
        for (int k = 0; k < 8; k++)
            for (int n = 0; n < 6; n++) w[k * 6 + n] *= scales[n];
        g.Initializer.Add(FloatTensor("W", [8, 6], w));
        g.Node.Add(Node("Abs", ["input"], ["x"], "abs"));
        g.Node.Add(Node("MatMul", ["x", "W"], ["output"], "matmul"));
        return BuildModel(g);
    }

    /// <summary>input [batch,3,5,5] → Abs → conv (4 channels, 1×1, no bias, ranges 0.01..3) → output.</summary>
    public static ModelProto AbsConv()
    {
        var g = new GraphProto { Name = "conv" };
        g.Input.Add(FloatInfo("input", "batch", 3, 5, 5));
        g.Output.Add(FloatInfo("output", "batch", 4, 5, 5));
        g.Initializer.Add(ConvWeight("w", 4, 3, 1, 31, [0.01f, 0.2f, 1f, 3f]));
        g.Node.Add(Node("Abs", ["input"], ["x"], "abs"));
        g.Node.Add(Node("Conv", ["x", "w"], ["output"], "conv"));
        return BuildModel(g);
    }

    /// <summary>Random samples for <paramref name="model"/>'s inputs in batches of 8.</summary>
    public static IDataSource CalibrationData(OnnxModel model, long count = 64, int seed = 5)
    {
        var inputs = ModelInputs.Of(model);
        return FixedBatchDataSource.ForModel(new RandomDataSource(inputs, new Dictionary<string, long[]>(), count, seed), inputs);
    }

    /// <summary>The first output of <paramref name="model"/> on every batch of <paramref name="data"/>, concatenated.</summary>
    public static (float[] Values, long[] Shape) Outputs(OnnxModel model, IDataSource data, int batch = 8)
    {
        using var session = ModelSession.Open(model, new RuntimeOptions { Optimize = false });
        var all = new List<float>();
        long[] shape = [];
        foreach (var b in data.ReadBatches(batch, long.MaxValue))
        {
            var o = session.Run(b)[0];
            all.AddRange(o.Data);
            shape = o.Shape;
        }
        return (all.ToArray(), shape);
    }

    /// <summary>Largest |a − b| over largest |a|.</summary>
    public static double RelativeDifference(float[] a, float[] b)
    {
        double scale = 0, diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[i]));
            diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
        }
        return diff / scale;
    }

    /// <summary>Runs the transforms <paramref name="options"/> ask for on <paramref name="model"/> (in place).</summary>
    /// <remarks>Weights round as static int8 does (per tensor unless <paramref name="target"/> says per channel).</remarks>
    public static IReadOnlyList<EquivalenceResult> Apply(OnnxModel model, EquivalenceOptions options, EquivalenceTarget? target = null, IDataSource? data = null, OnnxModel? original = null)
    {
        target ??= new EquivalenceTarget(8, PerChannelWeights: false, SymmetricWeights: true, GroupSize: 0, ActivationBits: 8, SymmetricActivations: false);
        return EquivalenceTransforms.Apply(model, new EquivalenceContext
        {
            Options = options,
            Target = target,
            Data = data,
            Samples = 64,
            BatchSize = 8,
            Original = original,
            RoundWeight = (layer, w) => Int8Weights.Dequantized(w, layer.Rows, layer.Cols, target.PerChannelWeights),
        });
    }
}
