using Onnx;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>Weights inside If/Loop/Scan bodies are counted by inspection and named when quantization leaves them alone.</summary>
public sealed class SubgraphsTests
{
    // x [batch,16], flag (bool scalar) → If(flag) { then: MatMul(x, W_then [16,8]) } else { MatMul(x, W_else [16,8]) } → y
    private static ModelProto IfWithWeights()
    {
        GraphProto Branch(string name, int seed)
        {
            var b = new GraphProto { Name = name };
            b.Initializer.Add(TinyModels.FloatTensor($"W_{name}", [16, 8], TinyModels.RandomFloats(16 * 8, seed)));
            b.Node.Add(TinyModels.Node("MatMul", ["x", $"W_{name}"], [$"y_{name}"], $"matmul_{name}"));
            b.Output.Add(TinyModels.FloatInfo($"y_{name}", "batch", 8));
            return b;
        }
        var g = new GraphProto { Name = "with_if" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16));
        g.Input.Add(TinyModels.TensorInfo("flag", (int)TensorProto.Types.DataType.Bool));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 8));
        var node = TinyModels.Node("If", ["flag"], ["y"], "branch");
        node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("then", 31) });
        node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("else", 32) });
        g.Node.Add(node);
        return TinyModels.BuildModel(g);
    }

    [Fact]
    public void Inspection_counts_the_parameters_and_ops_inside_if_branches()
    {
        var model = OnnxModel.FromProto(IfWithWeights());
        Assert.Equal((2, 256L), Subgraphs.Weights(model.Graph));
        var inspection = ModelInspection.Of(model, "with_if");
        Assert.Equal(256, inspection.Statistics.Parameters);
        Assert.Equal(256 * 4, inspection.Statistics.WeightBytes);
        Assert.Equal(2, inspection.Statistics.OpHistogram["MatMul"]);
        Assert.Equal(1, inspection.Statistics.OpHistogram["If"]);
        Assert.Contains(inspection.Warnings, w => w.StartsWith("2 weight tensor(s) (256 parameters) live inside If/Loop/Scan subgraphs", StringComparison.Ordinal));
    }

    [Fact]
    public void Quantizers_that_find_nothing_in_the_main_graph_say_how_many_weights_subgraphs_hold()
    {
        const string note = "2 weight tensor(s) (256 parameters) live inside If/Loop/Scan subgraphs, which are not quantized yet";
        var dynamic = Assert.Throws<ShrinkException>(() => new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(OnnxModel.FromProto(IfWithWeights())));
        Assert.Contains(note, dynamic.Message, StringComparison.Ordinal);
        var weightOnly = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(new WeightOnlyOptions { Method = "rtn" }).Quantize(OnnxModel.FromProto(IfWithWeights()), null));
        Assert.Contains(note, weightOnly.Message, StringComparison.Ordinal);
    }
}
