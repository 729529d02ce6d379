using Onnx;
using Shrink.Graph.Passes;
using Shrink.Onnx;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Graph.Passes.PassTestKit;

namespace Shrink.Tests.Graph.Passes;

public class FoldBatchNormalizationTests
{
    private static OnnxModel ConvBn(bool convBias, bool extraReader = false)
    {
        var g = new GraphProto { Name = "convbn" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 2, 5, 5));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 3, 3, 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 2, 3, 3], TinyModels.RandomFloats(54, 1)));
        if (convBias) g.Initializer.Add(TinyModels.FloatTensor("b", [3], TinyModels.RandomFloats(3, 2)));
        g.Initializer.Add(TinyModels.FloatTensor("gamma", [3], [1.5f, 0.5f, -2f]));
        g.Initializer.Add(TinyModels.FloatTensor("beta", [3], [0.1f, -0.2f, 0.3f]));
        g.Initializer.Add(TinyModels.FloatTensor("mean", [3], [0.2f, -0.1f, 0.05f]));
        g.Initializer.Add(TinyModels.FloatTensor("var", [3], [0.9f, 1.7f, 0.3f]));
        g.Node.Add(TinyModels.Node("Conv", convBias ? ["x", "w", "b"] : ["x", "w"], ["c"], "conv"));
        var bn = TinyModels.Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"], "bn");
        bn.Attribute.Add(Float("epsilon", 1e-3f));
        g.Node.Add(bn);
        if (extraReader)
        {
            g.Output.Add(TinyModels.FloatInfo("r", "batch", 3, 3, 3));
            g.Node.Add(TinyModels.Node("Relu", ["c"], ["r"], "relu"));
        }
        return OnnxModel.FromProto(TinyModels.Model(g));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv_then_bn_folds_and_keeps_outputs(bool convBias)
    {
        var model = ConvBn(convBias);
        var before = Run(model, "x", [2, 2, 5, 5]);
        var result = new FoldBatchNormalization().Apply(model);
        Assert.Equal(1, result.Changes);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal("y", model.Graph.Nodes.Single(n => n.OpType == "Conv").Outputs[0]);
        AssertClose(before, Run(model, "x", [2, 2, 5, 5]));
    }

    [Fact]
    public void Conv_output_read_elsewhere_is_not_folded()
    {
        var model = ConvBn(true, extraReader: true);
        var result = new FoldBatchNormalization().Apply(model);
        Assert.Equal(0, result.Changes);
        Assert.Contains(result.Details, d => d.Contains("other readers", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Gemm_then_bn_folds_for_both_weight_layouts(int transB)
    {
        var g = new GraphProto { Name = "gemmbn" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 4));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", transB == 1 ? [3, 4] : [4, 3], TinyModels.RandomFloats(12, 1)));
        g.Initializer.Add(TinyModels.FloatTensor("b", [3], TinyModels.RandomFloats(3, 2)));
        g.Initializer.Add(TinyModels.FloatTensor("gamma", [3], [1.5f, 0.5f, -2f]));
        g.Initializer.Add(TinyModels.FloatTensor("beta", [3], [0.1f, -0.2f, 0.3f]));
        g.Initializer.Add(TinyModels.FloatTensor("mean", [3], [0.2f, -0.1f, 0.05f]));
        g.Initializer.Add(TinyModels.FloatTensor("var", [3], [0.9f, 1.7f, 0.3f]));
        var gemm = TinyModels.Node("Gemm", ["x", "w", "b"], ["c"], "gemm");
        gemm.Attribute.Add(Int("transB", transB));
        g.Node.Add(gemm);
        g.Node.Add(TinyModels.Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"], "bn"));
        var model = OnnxModel.FromProto(TinyModels.Model(g));
        var before = Run(model, "x", [5, 4]);
        Assert.Equal(1, new FoldBatchNormalization().Apply(model).Changes);
        AssertClose(before, Run(model, "x", [5, 4]));
    }
}
