using System.Runtime.InteropServices;
using Onnx;
using Shrink.Layers;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class WeightOnlyExporterTests
{
    internal static ModelProto Linear(string op, int k, int n, bool transB = true, bool bias = true, int seed = 3)
    {
        var graph = new GraphProto { Name = "linear" };
        graph.Input.Add(FloatInfo("input", "batch", k));
        graph.Output.Add(FloatInfo("output", "batch", n));
        var w = RandomFloats(k * n, seed);
        if (op == "MatMul")
        {
            graph.Initializer.Add(FloatTensor("W", [k, n], w));
            graph.Node.Add(Node("MatMul", ["input", "W"], ["output"], "fc"));
        }
        else
        {
            graph.Initializer.Add(FloatTensor("W", transB ? [n, k] : [k, n], w));
            var node = Node("Gemm", bias ? ["input", "W", "C"] : ["input", "W"], ["output"], "fc");
            node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = transB ? 1 : 0 });
            node.Attribute.Add(new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f });
            if (bias) graph.Initializer.Add(FloatTensor("C", [n], RandomFloats(n, seed + 1)));
            graph.Node.Add(node);
        }
        return BuildModel(graph);
    }

    internal static ModelProto Conv(int cin, int cout, int kernel, int seed = 5)
    {
        var graph = new GraphProto { Name = "conv" };
        graph.Input.Add(FloatInfo("input", "batch", cin, 8, 8));
        graph.Output.Add(FloatInfo("output", "batch", cout, 8, 8));
        graph.Initializer.Add(FloatTensor("W", [cout, cin, kernel, kernel], RandomFloats(cout * cin * kernel * kernel, seed)));
        graph.Initializer.Add(FloatTensor("B", [cout], RandomFloats(cout, seed + 1)));
        var node = Node("Conv", ["input", "W", "B"], ["output"], "conv");
        node.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { kernel / 2, kernel / 2, kernel / 2, kernel / 2 } });
        graph.Node.Add(node);
        return BuildModel(graph);
    }

    internal static float[] Run(OnnxModel model, long[] inputDims, int seed = 9)
    {
        var input = RandomFloats((int)inputDims.Aggregate(1L, (a, b) => a * b), seed);
        using var session = OrtRunner.Open(model.ToByteArray());
        var outputs = OrtRunner.Run(session, new Dictionary<string, TensorProto> { ["input"] = FloatTensor("input", inputDims, input) });
        return MemoryMarshal.Cast<byte, float>(outputs[0].Bytes).ToArray();
    }

    // Quantizes every layer, exports, and compares ORT's output with the float model whose weights are the dequantized codes.
    private static (float[] Exported, float[] Reference, OnnxModel Model) ExportAndReference(ModelProto proto, long[] inputDims, WeightRoundingSettings settings, WeightExportSettings? export = null)
    {
        var model = OnnxModel.FromProto(proto.Clone(), "fixture");
        var reference = OnnxModel.FromProto(proto.Clone(), "reference");
        var node = model.Graph.Nodes.Single(n => n.OpType is "MatMul" or "Gemm" or "Conv");
        var layer = WeightLayer.TryCreate(node, model.Graph, out var reason) ?? throw new InvalidOperationException(reason);
        var q = new RoundToNearest().Round(layer.ReadMatrix(model.Graph), layer.Rows, layer.Cols, null, settings);
        var refLayer = WeightLayer.TryCreate(reference.Graph.Nodes.Single(n => n.OpType == node.OpType), reference.Graph, out _)!;
        refLayer.WriteMatrix(reference.Graph, q.Dequantize());
        reference.Graph.SyncToProto();
        WeightOnlyExporter.Apply(model, [(layer, q)], export ?? new WeightExportSettings());
        model.Graph.SyncToProto();
        return (Run(model, inputDims), Run(reference, inputDims), model);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"element {i}: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData("MatMul", 4, 32, true)]
    [InlineData("MatMul", 4, 16, false)]
    [InlineData("MatMul", 3, 32, true)]
    [InlineData("MatMul", 2, 32, true)]
    [InlineData("MatMul", 8, 32, true)]
    [InlineData("MatMul", 4, 0, true)]
    [InlineData("Gemm", 4, 32, true)]
    [InlineData("Gemm", 4, 64, false)]
    [InlineData("MatMul", 4, 0, false, 600)]
    [InlineData("Gemm", 4, 512, true, 1100)]
    [InlineData("MatMul", 4, 48, true)]
    public void MatMulNBits_matches_the_dequantized_reference(string op, int bits, int group, bool symmetric, int k = 96)
    {
        var (exported, reference, model) = ExportAndReference(Linear(op, k, 40), [5, k], new WeightRoundingSettings { Grid = new(bits, symmetric), GroupSize = group });
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType is "MatMul" or "Gemm");
        AssertClose(reference, exported);
    }

    [Fact]
    public void Int8_activations_stay_close_to_the_reference()
    {
        var (exported, reference, model) = ExportAndReference(Linear("MatMul", 128, 32), [4, 128], new WeightRoundingSettings { Grid = new(4, true), GroupSize = 32 },
            new WeightExportSettings { Int8Activations = true });
        Assert.Equal(4, model.Graph.Nodes.Single(n => n.OpType == "MatMulNBits").GetInt("accuracy_level", 0));
        AssertClose(reference, exported, 0.03);
    }

    [Theory]
    [InlineData(8, 0, true)]
    [InlineData(8, 0, false)]
    [InlineData(4, 0, true)]
    [InlineData(4, 16, true)]
    [InlineData(4, 16, false)]
    [InlineData(3, 32, true)]
    [InlineData(2, 8, true)]
    public void Conv_weights_go_through_dequantize_linear(int bits, int group, bool symmetric)
    {
        var (exported, reference, model) = ExportAndReference(Conv(4, 6, 3), [2, 4, 8, 8], new WeightRoundingSettings { Grid = new(bits, symmetric), GroupSize = group });
        var dq = model.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear");
        var stored = model.Graph.FindInitializer(dq.Inputs[0])!;
        Assert.Equal(bits <= 4 ? 4 : 8, stored.Type.BitWidth());
        if (bits <= 4 || group > 0) Assert.Equal(21, model.OpsetVersion()); // int4 and blocked scales need opset 21
        Assert.Equal(group > 0, model.Graph.Nodes.Any(n => n.OpType == "Reshape")); // groups run along C·kh·kw
        AssertClose(reference, exported);
    }

    [Fact]
    public void Groups_matmulnbits_cannot_carry_fall_back_to_blocked_dequantize_linear()
    {
        var (exported, reference, model) = ExportAndReference(Linear("MatMul", 96, 40), [5, 96], new WeightRoundingSettings { Grid = new(4, true), GroupSize = 24 });
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        Assert.Equal(24, model.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear").GetInt("block_size", 0));
        AssertClose(reference, exported);
    }

    [Fact]
    public void Packing_round_trips_for_every_width()
    {
        var rng = new Random(2);
        foreach (int bits in new[] { 2, 4, 8 })
        {
            var codes = Enumerable.Range(0, 37).Select(_ => (byte)rng.Next(1 << bits)).ToArray();
            var packed = NBitsPacking.Pack(codes, bits);
            Assert.Equal((37 * bits + 7) / 8, packed.Length);
            Assert.Equal(codes, NBitsPacking.Unpack(packed, bits, 37));
        }
        var signed = new sbyte[] { -8, 7, 0, -1, 3 };
        Assert.Equal(signed, NBitsPacking.UnpackSigned(NBitsPacking.PackSigned(signed, 4), 4, 5));
        // Low nibble first, as ONNX's INT4 and MatMulNBits store it.
        Assert.Equal(new byte[] { 0x21, 0x03 }, NBitsPacking.Pack([1, 2, 3], 4));
        // 3-bit codes have no packing of their own.
        Assert.Throws<ArgumentOutOfRangeException>(() => NBitsPacking.Pack([1], 3));
    }
}
