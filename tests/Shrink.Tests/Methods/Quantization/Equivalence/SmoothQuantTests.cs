using System.Text.Json;
using Onnx;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.Cli;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class SmoothQuantTests
{
    private const int C = 8;

    /// <summary>Per-feature input scales: channel 3 is a 40× outlier.</summary>
    private static float[] OutlierScales()
    {
        var s = Enumerable.Repeat(1f, C).ToArray();
        s[3] = 40f;
        return s;
    }

    [Fact]
    public void LayerNormThenMatMulKeepsTheFunctionAndShrinksTheOutlierChannel()
    {
        // γ with one large channel makes the LayerNorm output's channel 5 an outlier, as in LLMs.
        var gamma = Enumerable.Range(0, C).Select(i => i == 5 ? 12f : 0.5f + 0.1f * i).ToArray();
        var graph = Graph(C, 4,
            [Node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], "ln")],
            [FloatTensor("gamma", [C], gamma), FloatTensor("beta", [C], RandomFloats(C, 5))],
            ("ln", "mm", 11));
        var model = OnnxModel.FromProto(BuildModel(graph, opset: 17));
        using var data = new OutlierDataSource(64, Enumerable.Repeat(1f, C).ToArray());
        var before = RunAll(model, data, "y");
        int nodes = model.Graph.Nodes.Count;

        var result = Apply(model, data, alpha: 0.5);

        var row = Assert.Single(result.Layers);
        Assert.True(row.Applied, row.Skipped);
        Assert.Equal("ln → mm", row.Node);
        Assert.Equal("ln", row.Tensor);
        Assert.True(row.OutlierRatioBefore > 5, $"ratio before {row.OutlierRatioBefore}");
        Assert.True(row.OutlierRatioAfter < row.OutlierRatioBefore / 2, $"ratio {row.OutlierRatioBefore} → {row.OutlierRatioAfter}");
        Assert.StartsWith("α 0.5, s ", row.Setting);
        Assert.True(result.FunctionChange <= 1e-5, $"function change {result.FunctionChange}");
        Assert.Equal(nodes, model.Graph.Nodes.Count);
        Assert.NotEqual(gamma, model.Graph.FindInitializer("gamma")!.ToFloatArray());
        AssertClose(before, RunAll(model, data, "y"));
    }

    [Fact]
    public void DecomposedNormFeedingTwoMatMulsSharesOneScale()
    {
        var gamma = RandomFloats(C, 21).Select(v => 1 + v / 2).ToArray();
        var graph = new GraphProto { Name = "shared" };
        graph.Input.Add(FloatInfo("x", "batch", C));
        graph.Output.Add(FloatInfo("q", "batch", 4));
        graph.Output.Add(FloatInfo("k", "batch", 6));
        graph.Initializer.Add(FloatTensor("gamma", [C], gamma));
        graph.Initializer.Add(FloatTensor("beta", [C], RandomFloats(C, 22)));
        graph.Initializer.Add(FloatTensor("Wq", [C, 4], RandomFloats(C * 4, 23)));
        graph.Initializer.Add(FloatTensor("Wk", [C, 6], RandomFloats(C * 6, 24)));
        graph.Node.Add(Node("Mul", ["x", "gamma"], ["scaled"], "norm_mul"));
        graph.Node.Add(Node("Add", ["scaled", "beta"], ["normed"], "norm_add"));
        graph.Node.Add(Node("MatMul", ["normed", "Wq"], ["q"], "q_proj"));
        graph.Node.Add(Node("MatMul", ["normed", "Wk"], ["k"], "k_proj"));
        var model = OnnxModel.FromProto(BuildModel(graph));
        using var data = new OutlierDataSource(64, OutlierScales());
        var before = RunAll(model, data, "q").Concat(RunAll(model, data, "k")).ToArray();
        var wq = model.Graph.FindInitializer("Wq")!.ToFloatArray();
        var wk = model.Graph.FindInitializer("Wk")!.ToFloatArray();

        var result = Apply(model, data, alpha: 0.7);

        var row = Assert.Single(result.Layers);
        Assert.True(row.Applied, row.Skipped);
        Assert.Equal("norm_add → q_proj, k_proj", row.Node);
        var gammaAfter = model.Graph.FindInitializer("gamma")!.ToFloatArray();
        var wqAfter = model.Graph.FindInitializer("Wq")!.ToFloatArray();
        var wkAfter = model.Graph.FindInitializer("Wk")!.ToFloatArray();
        for (int j = 0; j < C; j++)
        {
            double s = gamma[j] / gammaAfter[j];
            Assert.Equal(s, wqAfter[j * 4] / wq[j * 4], 3);
            Assert.Equal(s, wkAfter[j * 6 + 5] / wk[j * 6 + 5], 3);
        }
        Assert.True(gamma[3] / gammaAfter[3] > 5, "the outlier channel gets the largest scale");
        AssertClose(before, RunAll(model, data, "q").Concat(RunAll(model, data, "k")).ToArray());
    }

    [Fact]
    public void MatMulWithBiasAbsorbsTheScaleOfTheNextMatMul()
    {
        var w1 = RandomFloats(C * C, 31);
        for (int r = 0; r < C; r++) w1[r * C + 2] *= 30; // hidden channel 2 is an outlier
        var graph = new GraphProto { Name = "chain" };
        graph.Input.Add(FloatInfo("x", "batch", C));
        graph.Output.Add(FloatInfo("y", "batch", 3));
        graph.Initializer.Add(FloatTensor("W1", [C, C], w1));
        graph.Initializer.Add(FloatTensor("b1", [C], RandomFloats(C, 32)));
        graph.Initializer.Add(FloatTensor("W2", [C, 3], RandomFloats(C * 3, 33)));
        graph.Node.Add(Node("MatMul", ["x", "W1"], ["h0"], "fc1"));
        graph.Node.Add(Node("Add", ["h0", "b1"], ["h"], "fc1_bias"));
        graph.Node.Add(Node("MatMul", ["h", "W2"], ["y"], "fc2"));
        var model = OnnxModel.FromProto(BuildModel(graph));
        using var data = new OutlierDataSource(64, Enumerable.Repeat(1f, C).ToArray());
        var before = RunAll(model, data, "y");

        var result = Apply(model, data, alpha: 0.5);

        var fc2 = Assert.Single(result.Layers, l => l.Tensor == "h");
        Assert.True(fc2.Applied, fc2.Skipped);
        Assert.Equal("fc1_bias → fc2", fc2.Node);
        Assert.True(fc2.OutlierRatioAfter < fc2.OutlierRatioBefore, $"ratio {fc2.OutlierRatioBefore} → {fc2.OutlierRatioAfter}");
        var fc1 = Assert.Single(result.Layers, l => l.Tensor == "x");
        Assert.False(fc1.Applied);
        Assert.Contains("graph input", fc1.Skipped);
        Assert.NotEqual(RandomFloats(C, 32), model.Graph.FindInitializer("b1")!.ToFloatArray());
        AssertClose(before, RunAll(model, data, "y"));
    }

    [Fact]
    public void GeluInBetweenIsSkippedNamingTheNode()
    {
        // LayerNorm → x·sigmoid(1.702x) (GELU's sigmoid form) → MatMul: the product of two computed values cannot absorb a scale.
        var graph = Graph(C, 4,
            [
                Node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], "ln"),
                Node("Mul", ["ln", "k"], ["ln_k"], "gelu_scale"),
                Node("Sigmoid", ["ln_k"], ["sig"], "gelu_sigmoid"),
                Node("Mul", ["ln", "sig"], ["gelu"], "gelu_mul"),
            ],
            [FloatTensor("gamma", [C], RandomFloats(C, 41)), FloatTensor("beta", [C], RandomFloats(C, 42)), FloatTensor("k", [], [1.702f])],
            ("gelu", "mm", 43));
        var model = OnnxModel.FromProto(BuildModel(graph, opset: 17));
        var weights = model.Graph.FindInitializer("W")!.ToFloatArray();
        using var data = new OutlierDataSource(32, OutlierScales());

        var result = Apply(model, data, alpha: 0.5);

        var row = Assert.Single(result.Layers);
        Assert.False(row.Applied);
        Assert.Equal("mm", row.Node);
        Assert.Contains("gelu_mul", row.Skipped);
        Assert.False(double.IsNaN(row.MaxBefore), "the skipped input is still measured");
        Assert.Equal(weights, model.Graph.FindInitializer("W")!.ToFloatArray());
        Assert.Equal(5, model.Graph.Nodes.Count);
    }

    [Fact]
    public void AnInputAlsoReadByAnotherOpIsSkippedAndASharedGammaIsCopied()
    {
        // n1 and n2 share γ; n1's output also feeds a Relu (so it is skipped), n2's only a MatMul (smoothed, on a copy of γ).
        var gamma = RandomFloats(C, 51).Select(v => 1 + v / 2).ToArray();
        var graph = new GraphProto { Name = "shared-gamma" };
        graph.Input.Add(FloatInfo("x", "batch", C));
        graph.Output.Add(FloatInfo("y1", "batch", 4));
        graph.Output.Add(FloatInfo("r", "batch", C));
        graph.Output.Add(FloatInfo("y2", "batch", 4));
        graph.Initializer.Add(FloatTensor("gamma", [C], gamma));
        graph.Initializer.Add(FloatTensor("W1", [C, 4], RandomFloats(C * 4, 52)));
        graph.Initializer.Add(FloatTensor("W2", [C, 4], RandomFloats(C * 4, 53)));
        graph.Node.Add(Node("Mul", ["x", "gamma"], ["a"], "n1"));
        graph.Node.Add(Node("MatMul", ["a", "W1"], ["y1"], "mm1"));
        graph.Node.Add(Node("Relu", ["a"], ["r"], "relu"));
        graph.Node.Add(Node("Sigmoid", ["x"], ["y1_in"], "pre"));
        graph.Node.Add(Node("Mul", ["y1_in", "gamma"], ["b"], "n2"));
        graph.Node.Add(Node("MatMul", ["b", "W2"], ["y2"], "mm2"));
        var model = OnnxModel.FromProto(BuildModel(graph));
        using var data = new OutlierDataSource(32, OutlierScales());
        var before = RunAll(model, data, "y1").Concat(RunAll(model, data, "r")).Concat(RunAll(model, data, "y2")).ToArray();

        var result = Apply(model, data, alpha: 0.5);

        var mm1 = Assert.Single(result.Layers, l => l.Node == "mm1");
        Assert.Contains("relu", mm1.Skipped);
        Assert.True(Assert.Single(result.Layers, l => l.Node == "n2 → mm2").Applied);
        Assert.Equal(gamma, model.Graph.FindInitializer("gamma")!.ToFloatArray());
        var n2 = model.Graph.Nodes.Single(n => n.DisplayName == "n2");
        Assert.NotEqual("gamma", n2.Inputs[1]);
        AssertClose(before, RunAll(model, data, "y1").Concat(RunAll(model, data, "r")).Concat(RunAll(model, data, "y2")).ToArray());
    }

    [Fact]
    public void SearchedAlphaQuantizesTheLayerAtLeastAsWellAsHalfAndAsNoSmoothing()
    {
        // W8A4: a 40× outlier input channel through a Mul(γ) → MatMul.
        var graph = Graph(C, 16,
            [Node("Mul", ["x", "gamma"], ["scaled"], "norm_mul")],
            [FloatTensor("gamma", [C], RandomFloats(C, 61).Select(v => 1 + v / 4).ToArray())],
            ("scaled", "mm", 62));
        using var data = new OutlierDataSource(256, OutlierScales());
        var target = new EquivalenceTarget(8, PerChannelWeights: true, SymmetricWeights: true, GroupSize: 0, ActivationBits: 4, SymmetricActivations: true);
        var original = OnnxModel.FromProto(BuildModel(graph));
        var reference = RunAll(original, data, "y");
        double unsmoothed = QuantizedError(original, data, reference);

        var half = OnnxModel.FromProto(BuildModel(graph));
        Apply(half, data, alpha: 0.5, target);
        var searched = OnnxModel.FromProto(BuildModel(graph));
        var result = Apply(searched, data, alpha: null, target);

        var row = Assert.Single(result.Layers);
        Assert.True(row.Applied, row.Skipped);
        Assert.Matches(@"^α [01]\.\d+ \(searched", row.Setting);
        double atHalf = QuantizedError(half, data, reference), best = QuantizedError(searched, data, reference);
        Assert.True(best <= atHalf * 1.0001, $"searched {best} vs α 0.5 {atHalf}");
        Assert.True(best < unsmoothed / 2, $"searched {best} vs unsmoothed {unsmoothed}");
        Assert.Contains(result.Notes, n => n.Contains("searched per place"));
    }

    [Fact]
    public void QuantizeWithSmoothWritesAModelOrtLoadsAndListsTheSmoothedLayers()
    {
        using var dir = new TempDirectory();
        const int wide = 32; // int8 MatMul needs a reduction of 16 or more
        var graph = Graph(wide, 4,
            [Node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], "ln")],
            [FloatTensor("gamma", [wide], RandomFloats(wide, 71).Select(v => 1 + v).ToArray()), FloatTensor("beta", [wide], RandomFloats(wide, 72))],
            ("ln", "mm", 73));
        string modelPath = WriteTo(BuildModel(graph, opset: 17), dir.File("m.onnx"));
        using (var data = new OutlierDataSource(64, Enumerable.Range(0, wide).Select(i => i == 7 ? 40f : 1f).ToArray()))
            OutputSafetyCliTests.WriteNpyFloat(dir.File("d.npy"), [64, wide], data.Rows);

        var r = ShrinkCli.Run("quantize", modelPath, "-o", dir.File("out.onnx"), "--data", dir.File("d.npy"), "--smooth", "0.5", "--json", dir.File("j.json"));

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using (var session = OrtRunner.Open(dir.File("out.onnx")))
            Assert.Single(session.OutputMetadata);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("j.json")));
        var smooth = Assert.Single(json.RootElement.GetProperty("equivalence").EnumerateArray());
        Assert.Equal("smooth", smooth.GetProperty("name").GetString());
        var layer = Assert.Single(smooth.GetProperty("layers").EnumerateArray());
        Assert.Equal("ln → mm", layer.GetProperty("node").GetString());
        Assert.StartsWith("α 0.5", layer.GetProperty("setting").GetString());
        Assert.Contains("Equivalence: smooth", r.Stdout);
    }

    [Theory]
    [InlineData(-3.1f, 5.2f, 8, true)]
    [InlineData(-3.1f, 5.2f, 4, true)]
    [InlineData(-0.2f, 7.5f, 4, false)]
    [InlineData(0f, 2f, 6, false)]
    [InlineData(0f, 0f, 4, true)]
    public void TheSearchsActivationGridIsTheOneStaticQuantizationUses(float min, float max, int bits, bool symmetric)
    {
        var type = symmetric ? ElementType.Int8 : ElementType.UInt8;
        var expected = QuantMath.ForRange(new CalibrationRange(min, max), type, symmetric, bits);
        var (qmin, qmax) = QuantMath.ActivationGrid(type, bits);

        var grid = SmoothingSearch.ActivationGrid(min, max, bits, symmetric);

        Assert.Equal((expected.Scale, expected.ZeroPoint, qmin, qmax), grid);
    }

    [Theory]
    [InlineData(-0.7f, 0.3f, 8, true)]
    [InlineData(-0.7f, 0.3f, 4, false)]
    [InlineData(0.1f, 0.9f, 3, false)]
    [InlineData(-0.5f, 0.2f, 2, true)]
    public void TheSearchsWeightGridIsTheOneWeightQuantizationUses(float min, float max, int bits, bool symmetric)
    {
        var grid = new WeightGrid(bits, symmetric);
        var (scale, zero) = grid.ParamsFor(min, max);

        Assert.Equal((scale, zero, grid.MaxCode), SmoothingSearch.WeightGridParams(min, max, bits, symmetric));
    }

    /// <summary>x [batch, inputs] → prefix nodes → MatMul(W [K, outputs]) named <paramref name="matmul"/>.Name reading <paramref name="matmul"/>.Input → y.</summary>
    private static GraphProto Graph(int inputs, int outputs, NodeProto[] prefix, TensorProto[] constants, (string Input, string Name, int Seed) matmul)
    {
        var graph = new GraphProto { Name = "smooth-test" };
        graph.Input.Add(FloatInfo("x", "batch", inputs));
        graph.Output.Add(FloatInfo("y", "batch", outputs));
        graph.Initializer.AddRange(constants);
        graph.Initializer.Add(FloatTensor("W", [inputs, outputs], RandomFloats(inputs * outputs, matmul.Seed)));
        graph.Node.AddRange(prefix);
        graph.Node.Add(Node("MatMul", [matmul.Input, "W"], ["y"], matmul.Name));
        return graph;
    }

    private static EquivalenceResult Apply(OnnxModel model, IDataSource data, double? alpha, EquivalenceTarget? target = null)
    {
        var results = EquivalenceTransforms.Apply(model, new EquivalenceContext
        {
            Options = new EquivalenceOptions { Smooth = true, SmoothAlpha = alpha },
            Target = target ?? new EquivalenceTarget(8, PerChannelWeights: true, SymmetricWeights: true, GroupSize: 0, ActivationBits: 8, SymmetricActivations: false),
            Data = data,
            Samples = 1000,
            BatchSize = 16,
        });
        return Assert.Single(results);
    }

    /// <summary>The output <paramref name="name"/> over all of <paramref name="data"/>, concatenated.</summary>
    private static float[] RunAll(OnnxModel model, IDataSource data, string name)
    {
        using var session = ModelSession.Open(model.WithOutputs([name]), new RuntimeOptions { Optimize = false });
        return data.ReadBatches(16).SelectMany(b => session.Run(b).Single(o => o.Name == name).Data).ToArray();
    }

    /// <summary>
    /// ‖y − Q(x')·Q(W')‖² over the data, where x' is the MatMul "mm"'s input and W' its weight in <paramref name="model"/>:
    /// x' per tensor symmetric 4-bit (±7 levels of max |x'|), W' per output channel symmetric 8-bit (±127).
    /// </summary>
    private static double QuantizedError(OnnxModel model, IDataSource data, float[] reference)
    {
        var mm = model.Graph.Nodes.Single(n => n.DisplayName == "mm");
        var x = RunAll(model, data, mm.Inputs[0]);
        var w = model.Graph.FindInitializer(mm.Inputs[1])!.ToFloatArray(); // [K, N]
        int k = C, n = w.Length / k, rows = x.Length / k;
        float xs = x.Max(Math.Abs) / 7;
        var xq = x.Select(v => Math.Clamp(MathF.Round(v / xs), -7, 7) * xs).ToArray();
        var wq = new float[w.Length];
        for (int o = 0; o < n; o++)
        {
            float m = 0;
            for (int j = 0; j < k; j++) m = Math.Max(m, Math.Abs(w[j * n + o]));
            float ws = m / 127;
            for (int j = 0; j < k; j++) wq[j * n + o] = MathF.Round(w[j * n + o] / ws) * ws;
        }
        double error = 0;
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < n; o++)
            {
                double y = 0;
                for (int j = 0; j < k; j++) y += xq[i * k + j] * wq[j * n + o];
                error += (reference[i * n + o] - y) * (reference[i * n + o] - y);
            }
        return error;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale + 1e-6, $"[{i}] {expected[i]} vs {actual[i]}");
    }
}
