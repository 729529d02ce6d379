using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization;

/// <summary>
/// What the docs say about ConvTranspose (docs/quantization.md, docs/weight-only.md): int8 and weight-only quantization
/// both leave it in float and list it with the reason, while the Conv after it is quantized.
/// </summary>
public sealed class ConvTransposeQuantizationTests
{
    // x [batch, 8, 4, 4] → ConvTranspose 8→8 3×3 → y [batch, 8, 6, 6] → Relu → Conv 8→8 3×3 → out [batch, 8, 4, 4]
    private static OnnxModel DeconvThenConv()
    {
        var graph = new GraphProto { Name = "deconv" };
        graph.Input.Add(FloatInfo("x", "batch", 8, 4, 4));
        graph.Output.Add(FloatInfo("out", "batch", 8, 4, 4));
        graph.Initializer.Add(FloatTensor("Wt", [8, 8, 3, 3], RandomFloats(8 * 8 * 9, 1)));
        graph.Initializer.Add(FloatTensor("W", [8, 8, 3, 3], RandomFloats(8 * 8 * 9, 2)));
        graph.Node.Add(Node("ConvTranspose", ["x", "Wt"], ["y"], "deconv"));
        graph.Node.Add(Node("Relu", ["y"], ["a"], "relu"));
        graph.Node.Add(Node("Conv", ["a", "W"], ["out"], "conv"));
        return OnnxModel.FromProto(BuildModel(graph), "deconv");
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 3 }, inputs);

    [Fact]
    public void Weight_only_leaves_convtranspose_in_float_with_the_reason()
    {
        var result = new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn", GroupSize = 0 }).Quantize(DeconvThenConv(), null);

        var left = Assert.Single(result.LeftInFloat);
        Assert.Equal(("deconv", "ConvTranspose"), (left.Name, left.OpType));
        Assert.Contains("ConvTranspose", left.Reason);
        Assert.Equal("conv", Assert.Single(result.Layers).Name);
        var deconv = Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "ConvTranspose");
        Assert.Equal(ElementType.Float, result.Model.Graph.FindInitializer(deconv.Inputs[1])!.Type);
    }

    [Fact]
    public void Static_int8_leaves_convtranspose_in_float_with_the_reason()
    {
        var result = new StaticQuantizer(new StaticQuantizationOptions { Samples = 16, AnalysisSamples = 0 }).Quantize(DeconvThenConv(), Random(16));

        Assert.Equal(1, result.QuantizedByOp["Conv"]);
        Assert.False(result.QuantizedByOp.ContainsKey("ConvTranspose"));
        var left = Assert.Single(result.LeftInFloat, l => l.OpType == "ConvTranspose");
        Assert.False(string.IsNullOrWhiteSpace(left.Reason)); // today "no int8 handler for this op"
        var deconv = Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "ConvTranspose");
        Assert.Equal(ElementType.Float, result.Model.Graph.FindInitializer(deconv.Inputs[1])!.Type);
    }
}
