using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Numerics;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class WeightOnlyQuantizerTests
{
    // input [batch, 64] → MatMul 64×96 → Relu → Gemm (transB) 96→32 with bias → output
    private static OnnxModel Mlp()
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(FloatInfo("input", "batch", 64));
        graph.Output.Add(FloatInfo("output", "batch", 32));
        graph.Initializer.Add(FloatTensor("W1", [64, 96], RandomFloats(64 * 96, 1)));
        graph.Initializer.Add(FloatTensor("W2", [32, 96], RandomFloats(32 * 96, 2)));
        graph.Initializer.Add(FloatTensor("B2", [32], RandomFloats(32, 3)));
        graph.Node.Add(Node("MatMul", ["input", "W1"], ["h"], "fc1"));
        graph.Node.Add(Node("Relu", ["h"], ["a"], "relu"));
        var gemm = Node("Gemm", ["a", "W2", "B2"], ["output"], "fc2");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return OnnxModel.FromProto(BuildModel(graph), "mlp");
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 4 }, inputs);

    [Theory]
    [InlineData("gptq", true)]
    [InlineData("gptq", false)]
    [InlineData("rtn", true)]
    public void Quantizes_every_layer_to_matmulnbits_and_keeps_the_interface(string method, bool sequential)
    {
        var model = Mlp();
        var before = model.ToByteArray();
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = method, Sequential = sequential, Samples = 128 }).Quantize(model, Random(128));

        Assert.Equal(before, model.ToByteArray()); // the input model is untouched
        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"));
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType is "MatMul" or "Gemm");
        Assert.Equal(["input"], result.Model.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["output"], result.Model.Graph.Outputs.Select(o => o.Name));
        Assert.All(result.Layers, l => Assert.Equal(method, l.Method));
        Assert.All(result.Layers, l => Assert.InRange(l.MethodError!.Value, 1e-6, 0.05));
        // 4-bit codes and one float scale per 32 weights: 0.125 + 0.03125 of the float bytes.
        Assert.InRange((double)result.QuantizedWeightBytes / result.FloatWeightBytes, 0.15, 0.16);

        var output = WeightOnlyExporterTests.Run(result.Model, [8, 64]);
        var reference = WeightOnlyExporterTests.Run(model, [8, 64]);
        double num = output.Zip(reference).Sum(p => Math.Pow(p.First - p.Second, 2)), den = reference.Sum(v => v * v);
        Assert.True(num / den < 0.02, $"relative output error {num / den:G3}");
    }

    [Fact]
    public void Gptq_beats_round_to_nearest_at_two_bits_on_every_layer()
    {
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 2, Samples = 256 }).Quantize(Mlp(), Random(256));
        Assert.All(result.Layers, l => Assert.True(l.MethodError < l.RtnError, $"{l.Name}: GPTQ {l.MethodError:G3} vs RTN {l.RtnError:G3}"));
    }

    [Fact]
    public void Per_layer_bit_widths_mix_precisions_and_zero_keeps_a_layer_float()
    {
        var mixed = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", LayerBits = new Dictionary<string, int> { ["fc1"] = 8, ["fc2"] = 2 } }).Quantize(Mlp(), null);
        Assert.Equal([8, 2], mixed.Layers.Select(l => l.Bits));
        Assert.Equal([8L, 2L], mixed.Model.Graph.Nodes.Where(n => n.OpType == "MatMulNBits").Select(n => n.GetInt("bits", 0)));
        var partial = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", LayerBits = new Dictionary<string, int> { ["fc1"] = 0 } }).Quantize(Mlp(), null);
        Assert.Equal(["fc2"], partial.Layers.Select(l => l.Name));
        Assert.Contains(partial.Model.Graph.Nodes, n => n.OpType == "MatMul");
        Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", LayerBits = new Dictionary<string, int> { ["fc1"] = 6 } }).Quantize(Mlp(), null));
    }

    [Fact]
    public void Excluded_nodes_stay_float_and_are_listed()
    {
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", ExcludeNodes = new HashSet<string> { "fc2" } }).Quantize(Mlp(), null);
        Assert.Single(result.Layers);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Gemm");
        Assert.Contains(result.LeftInFloat, l => l.Name == "fc2" && l.Reason == "excluded");
        Assert.All(result.Layers, l => Assert.Null(l.MethodError)); // no data, no error measurement
    }

    [Fact]
    public void Gptq_without_data_and_bad_options_are_refused_clearly()
    {
        var e = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions()).Quantize(Mlp(), null));
        Assert.Contains("needs calibration data", e.Message);
        e = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 5, Method = "rtn" }).Quantize(Mlp(), null));
        Assert.Contains("2, 3, 4 or 8", e.Message);
        e = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "nearest" }).Quantize(Mlp(), null));
        Assert.Contains("rtn, gptq", e.Message);
    }

    [Fact]
    public void Nan_weights_are_refused_with_the_tensor_named()
    {
        var model = Mlp();
        var w = model.Graph.FindInitializer("W1")!.ToFloatArray();
        w[7] = float.NaN;
        model.Graph.SetInitializer(Shrink.Model.TensorData.FromFloats("W1", [64, 96], w));
        var e = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn" }).Quantize(model, null));
        Assert.Contains("W1", e.Message);
    }

    [Fact]
    public void Float_output_target_is_the_weight_itself_when_inputs_agree_and_the_least_squares_fit_otherwise()
    {
        var rng = new Random(8);
        int rows = 6, cols = 10, n = 400;
        var w = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var xf = Enumerable.Range(0, n * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        // The quantized model's inputs drift systematically (shrunk and mixed), as accumulated rounding errors do.
        var xq = xf.Select((v, i) => 0.8f * v + 0.15f * xf[i / cols * cols + (i % cols + 1) % cols]).ToArray();
        float[] Gram(float[] a, float[] b)
        {
            var g = new float[cols * cols];
            for (int r = 0; r < n; r++)
                for (int i = 0; i < cols; i++)
                    for (int j = 0; j < cols; j++) g[i * cols + j] += a[r * cols + i] * b[r * cols + j];
            return g;
        }
        var h = Gram(xq, xq);
        Assert.Equal(w, OutputError.FloatOutputTarget(w, h, h, rows, cols, 0.01), new Close(1e-5f));

        var target = OutputError.FloatOutputTarget(w, h, Gram(xf, xq), rows, cols, 1e-6);
        double Loss(float[] m)
        {
            double sum = 0;
            for (int r = 0; r < n; r++)
            {
                for (int o = 0; o < rows; o++)
                {
                    double d = 0;
                    for (int k = 0; k < cols; k++) d += w[o * cols + k] * xf[r * cols + k] - m[o * cols + k] * xq[r * cols + k];
                    sum += d * d;
                }
            }
            return sum;
        }
        // W* fits the float outputs from the drifted inputs better than W does, and no small step away improves it.
        Assert.True(Loss(target) < 0.01 * Loss(w), $"{Loss(target):G4} vs {Loss(w):G4}");
        var nudged = (float[])target.Clone();
        nudged[3] += 0.01f;
        Assert.True(Loss(target) < Loss(nudged));
    }

    private sealed class Close(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
