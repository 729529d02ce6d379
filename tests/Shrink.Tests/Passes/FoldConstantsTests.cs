using System.Runtime.InteropServices;
using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Passes;

/// <summary>Float16 exports keep weights in half precision behind Cast nodes; folding them lets the quantizers find them.</summary>
public sealed class FoldConstantsTests
{
    private const int Float16 = (int)TensorProto.Types.DataType.Float16;

    private static TensorProto HalfTensor(string name, long[] dims, float[] values) =>
        TinyModels.RawTensor(name, Float16, dims, MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray());

    private static NodeProto CastToFloat(string input, string output)
    {
        var cast = TinyModels.Node("Cast", [input], [output], $"cast_{input}");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = TinyModels.Float });
        return cast;
    }

    // x [batch,16,8,8] → Conv(Cast(W1 fp16 [64,16,3,3]), Cast(b1 fp16)) → Relu → GlobalAveragePool → Flatten
    // → MatMul(Cast(Transpose(W2 fp16 [256,64]))) → output [batch,256]
    private static ModelProto HalfWeights()
    {
        var g = new GraphProto { Name = "fp16_weights" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16, 8, 8));
        g.Output.Add(TinyModels.FloatInfo("output", "batch", 256));
        g.Initializer.Add(HalfTensor("W1", [64, 16, 3, 3], TinyModels.RandomFloats(64 * 16 * 9, 21)));
        g.Initializer.Add(HalfTensor("b1", [64], TinyModels.RandomFloats(64, 22)));
        g.Initializer.Add(HalfTensor("W2", [256, 64], TinyModels.RandomFloats(256 * 64, 23)));
        g.Node.Add(CastToFloat("W1", "W1_f"));
        g.Node.Add(CastToFloat("b1", "b1_f"));
        var conv = TinyModels.Node("Conv", ["x", "W1_f", "b1_f"], ["conv"], "conv");
        conv.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        g.Node.Add(conv);
        g.Node.Add(TinyModels.Node("Relu", ["conv"], ["relu"], "relu"));
        g.Node.Add(TinyModels.Node("GlobalAveragePool", ["relu"], ["pool"], "pool"));
        g.Node.Add(TinyModels.Node("Flatten", ["pool"], ["flat"], "flatten"));
        g.Node.Add(TinyModels.Node("Transpose", ["W2"], ["W2_t"], "transpose_W2"));
        g.Node.Add(CastToFloat("W2_t", "W2_f"));
        g.Node.Add(TinyModels.Node("MatMul", ["flat", "W2_f"], ["output"], "matmul"));
        return TinyModels.BuildModel(g);
    }

    private static Dictionary<string, TensorProto> Input() =>
        new() { ["x"] = TinyModels.FloatTensor("x", [2, 16, 8, 8], TinyModels.RandomFloats(2 * 16 * 64, 24)) };

    [Fact]
    public void Casts_and_transposes_of_initializers_become_float_initializers_with_the_same_values()
    {
        var model = OnnxModel.FromProto(HalfWeights());
        var result = new FoldConstants().Apply(model);

        Assert.Equal(4, result.Changes);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType is "Cast" or "Transpose");
        Assert.Null(model.Graph.FindInitializer("W1")); // the fp16 originals are no longer read
        Assert.Null(model.Graph.FindInitializer("W2"));
        var w2 = model.Graph.FindInitializer("W2_f")!;
        Assert.Equal(ElementType.Float, w2.Type);
        Assert.Equal([64L, 256L], w2.Dims);
        var original = TinyModels.RandomFloats(256 * 64, 23).Select(v => (float)(Half)v).ToArray();
        var folded = w2.ToFloatArray();
        for (int r = 0; r < 64; r++)
            for (int c = 0; c < 256; c++) Assert.Equal(original[c * 64 + r], folded[r * 256 + c]);
        Assert.Equal(TinyModels.RandomFloats(64, 22).Select(v => (float)(Half)v), model.Graph.FindInitializer("b1_f")!.ToFloatArray());

        // The folded model computes what the original does.
        var before = OrtRunner.RunOnce(TinyModels.Bytes(HalfWeights()), Input())[0];
        var after = OrtRunner.RunOnce(model.ToByteArray(), Input())[0];
        Assert.Equal(before.Bytes, after.Bytes);
    }

    [Fact]
    public void A_cast_whose_output_is_a_graph_output_or_an_integer_cast_stays()
    {
        var g = new GraphProto { Name = "kept" };
        g.Output.Add(TinyModels.FloatInfo("w_f", 2));
        g.Output.Add(TinyModels.TensorInfo("w_i", TinyModels.Int64, 2));
        g.Initializer.Add(HalfTensor("w", [2], [1.5f, -2.5f]));
        g.Node.Add(CastToFloat("w", "w_f"));
        var toInt = TinyModels.Node("Cast", ["w"], ["w_i"], "cast_int");
        toInt.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = TinyModels.Int64 });
        g.Node.Add(toInt);
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g));
        Assert.Equal(0, new FoldConstants().Apply(model).Changes);
        Assert.Equal(2, model.Graph.Nodes.Count);
    }

    [Fact]
    public void A_float16_export_quantizes_statically_and_weight_only_into_a_smaller_model_that_runs()
    {
        using var dir = new TempDirectory();
        string input = TinyModels.WriteTo(HalfWeights(), dir.File("fp16.onnx"));
        long inputBytes = new FileInfo(input).Length;

        var quantized = new StaticQuantizer(new StaticQuantizationOptions { Samples = 16, AnalysisSamples = 0 })
            .Quantize(OnnxModel.Load(input), inputs => DataSourceFactory.Open("random:16", new DataOptions(), inputs));
        Assert.Equal(1, quantized.QuantizedByOp["Conv"]);
        Assert.Equal(1, quantized.QuantizedByOp["MatMul"]);
        Assert.Contains(quantized.Preprocessing, line => line.StartsWith("fold-constants: 4", StringComparison.Ordinal));
        string staticPath = dir.File("static.onnx");
        quantized.Model.Save(staticPath);

        var weightOnly = new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 4, GroupSize = 16, Method = "rtn" }).Quantize(OnnxModel.Load(input), null);
        Assert.Equal(["conv", "matmul"], weightOnly.Layers.Select(l => l.Name).Order(StringComparer.Ordinal));
        string weightOnlyPath = dir.File("int4.onnx");
        weightOnly.Model.Save(weightOnlyPath);

        foreach (var path in new[] { staticPath, weightOnlyPath })
        {
            Assert.True(new FileInfo(path).Length < inputBytes, $"{Path.GetFileName(path)}: {new FileInfo(path).Length} bytes, the fp16 input has {inputBytes}");
            var y = OrtRunner.RunOnce(path, Input())[0];
            Assert.All(MemoryMarshal.Cast<byte, float>(y.Bytes).ToArray(), v => Assert.True(float.IsFinite(v)));
        }
    }
}
