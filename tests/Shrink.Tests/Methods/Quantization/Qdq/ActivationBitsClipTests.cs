using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>
/// --activation-bits B below 8: the written model clips activations at the 2^B-level edge of their calibrated range
/// (Q → Clip → DQ), as B-bit hardware would, where QuantizeLinear alone saturates only at the 8-bit type's limits.
/// </summary>
public sealed class ActivationBitsClipTests
{
    private const int Features = 16, Outputs = 4;

    // x [batch, 16] → MatMul(W [16, 4]) → y [batch, 4]
    private static OnnxModel TinyMatMul()
    {
        var graph = new GraphProto { Name = "matmul" };
        graph.Input.Add(FloatInfo("x", "batch", Features));
        graph.Output.Add(FloatInfo("y", "batch", Outputs));
        graph.Initializer.Add(FloatTensor("W", [Features, Outputs], RandomFloats(Features * Outputs, 7)));
        graph.Node.Add(Node("MatMul", ["x", "W"], ["y"], "matmul"));
        return OnnxModel.FromProto(BuildModel(graph), "matmul");
    }

    // Calibration data in [-1, 1]: minmax puts the range there.
    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Calibration =>
        inputs => DataSourceFactory.Open("random:64", new DataOptions { Seed = 3, ValueRanges = new Dictionary<string, ValueRange> { ["x"] = new(-1, 1) } }, inputs);

    private static OnnxModel Quantize(int bits, bool symmetric = false) =>
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 64, AnalysisSamples = 0, Calibration = "minmax", ActivationBits = bits, SymmetricActivations = symmetric })
            .Quantize(TinyMatMul(), Calibration).Model;

    [Theory]
    [InlineData(4, false)]
    [InlineData(6, false)]
    [InlineData(4, true)]
    public void Values_beyond_the_calibrated_range_clip_at_the_B_bit_edge(int bits, bool symmetric)
    {
        var model = Quantize(bits, symmetric);
        var graph = model.Graph;
        var q = Assert.Single(graph.Nodes, n => n.OpType == "QuantizeLinear" && n.Inputs[0] == "x");
        float scale = graph.FindInitializer(q.Inputs[1])!.ToFloatArray()[0];
        int zeroPoint = (int)graph.FindInitializer(q.Inputs[2])!.ToFloatArray()[0];
        var type = graph.FindInitializer(q.Inputs[2])!.Type;
        int half = (1 << (bits - 1)) - 1;
        var (lo, hi) = symmetric ? (zeroPoint - half, zeroPoint + half) : QuantMath.ActivationGrid(type, bits);

        var clip = Assert.Single(graph.Consumers(q.Outputs[0]));
        Assert.Equal("Clip", clip.OpType);
        Assert.Equal(lo, (int)graph.FindInitializer(clip.Inputs[1])!.ToFloatArray()[0]);
        Assert.Equal(hi, (int)graph.FindInitializer(clip.Inputs[2])!.ToFloatArray()[0]);
        Assert.Equal(type, graph.FindInitializer(clip.Inputs[1])!.Type);
        Assert.All(graph.Nodes.Where(n => n.OpType == "QuantizeLinear"), n => Assert.Equal("Clip", Assert.Single(graph.Consumers(n.Outputs[0])).OpType));

        // Inputs from 3× beyond the low edge to 3× beyond the high edge of the grid.
        float low = (lo - zeroPoint) * scale, high = (hi - zeroPoint) * scale;
        const int batch = 5;
        var x = new float[batch * Features];
        for (int i = 0; i < x.Length; i++) x[i] = 3 * low + (3 * high - 3 * low) * i / (x.Length - 1);
        Assert.Contains(x, v => v > high + 4 * scale);
        Assert.Contains(x, v => v < low - 4 * scale);

        var w = DequantizedWeight(graph);
        var expected = Reference(x, w, v => FakeQuant(v, scale, zeroPoint, lo, hi), graph);
        var saturating = Reference(x, w, v => FakeQuant(v, scale, zeroPoint, type == ElementType.UInt8 ? 0 : -128, type == ElementType.UInt8 ? 255 : 127), graph);

        using var session = ModelSession.Open(model);
        var y = session.Run(new DataBatch([new BatchTensor("x", ElementType.Float, [batch, Features], x)], batch, null))[0].Data;
        Assert.Equal(expected.Length, y.Length);
        float tolerance = 1e-4f * (1 + expected.Max(MathF.Abs));
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance, $"y[{i}] = {y[i]}, clipped {bits}-bit reference {expected[i]}");
        // The test can tell: saturating at the 8-bit limits (what the model did before the Clip) differs by far more.
        Assert.True(y.Zip(saturating).Max(p => Math.Abs(p.First - p.Second)) > 100 * tolerance);
    }

    [Fact]
    public void Eight_bits_write_no_clip()
    {
        var model = Quantize(8);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Clip");
        Assert.All(model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear"), n => Assert.Equal("DequantizeLinear", Assert.Single(model.Graph.Consumers(n.Outputs[0])).OpType));
    }

    [Fact]
    public void A_tensor_read_only_by_an_op_sharing_its_parameters_leaves_the_clip_to_that_op()
    {
        // x → MatMul → Reshape → MatMul: the Reshape's Q/DQ shares the first MatMul output's parameters.
        var graph = new GraphProto { Name = "reshape" };
        graph.Input.Add(FloatInfo("x", "batch", Features));
        graph.Output.Add(FloatInfo("z", "batch", Outputs));
        graph.Initializer.Add(FloatTensor("W", [Features, Features], RandomFloats(Features * Features, 7)));
        graph.Initializer.Add(FloatTensor("W2", [Features, Outputs], RandomFloats(Features * Outputs, 8)));
        graph.Initializer.Add(new TensorProto { Name = "shape", DataType = TestSupport.TinyModels.Int64, Dims = { 2 }, Int64Data = { -1, Features } });
        graph.Node.Add(Node("MatMul", ["x", "W"], ["h"], "mm1"));
        graph.Node.Add(Node("Reshape", ["h", "shape"], ["r"], "reshape"));
        graph.Node.Add(Node("MatMul", ["r", "W2"], ["z"], "mm2"));
        var model = new StaticQuantizer(new StaticQuantizationOptions { Samples = 64, AnalysisSamples = 0, Calibration = "minmax", ActivationBits = 4 })
            .Quantize(OnnxModel.FromProto(BuildModel(graph), "reshape"), Calibration).Model;

        // h feeds only the Reshape, whose output shares h's parameters: one Clip, after the Reshape's Q (the same codes).
        var qs = model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.Equal("DequantizeLinear", Assert.Single(model.Graph.Consumers(Assert.Single(qs, n => n.Inputs[0] == "h").Outputs[0])).OpType);
        Assert.Equal("Clip", Assert.Single(model.Graph.Consumers(Assert.Single(qs, n => n.Inputs[0] == "r").Outputs[0])).OpType);
        Assert.Equal("Clip", Assert.Single(model.Graph.Consumers(Assert.Single(qs, n => n.Inputs[0] == "x").Outputs[0])).OpType);
        Assert.Equal(qs.Count - 1, model.Graph.Nodes.Count(n => n.OpType == "Clip"));
    }

    private static float FakeQuant(float v, float scale, int zeroPoint, int lo, int hi) =>
        (Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven) + zeroPoint, lo, hi) - zeroPoint) * scale;

    private static float[] DequantizedWeight(ModelGraph graph)
    {
        var dq = Assert.Single(graph.Nodes, n => n.OpType == "DequantizeLinear" && graph.FindInitializer(n.Inputs[0]) is { Type: ElementType.Int8, Dims.Count: 2 });
        var codes = graph.FindInitializer(dq.Inputs[0])!.ToFloatArray();
        var scales = graph.FindInitializer(dq.Inputs[1])!.ToFloatArray();
        return [.. codes.Select((c, i) => c * scales[scales.Length == 1 ? 0 : i % Outputs])];
    }

    // y = fq(x) · W, then the output's own Q/DQ (if the model has one) at its parameters, clipped the same way.
    private static float[] Reference(float[] x, float[] w, Func<float, float> fakeQuant, ModelGraph graph)
    {
        int batch = x.Length / Features;
        var y = new float[batch * Outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < Outputs; o++)
            {
                float sum = 0;
                for (int k = 0; k < Features; k++) sum += fakeQuant(x[b * Features + k]) * w[k * Outputs + o];
                y[b * Outputs + o] = sum;
            }
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "QuantizeLinear" && n.Inputs[0] == "y"); // the output stays float
        return y;
    }
}
