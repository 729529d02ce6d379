using Onnx;
using Shrink.Graph.Passes;
using Shrink.Onnx;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Graph.Passes.PassTestKit;

namespace Shrink.Tests.Graph.Passes;

public class UpgradeOpsetTests
{
    private static OnnxModel Chain(long opset, long[] inputShape, long[] outputShape, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = "old" };
        g.Input.Add(TinyModels.FloatInfo("x", inputShape.Select(d => (object)d).ToArray()));
        g.Output.Add(TinyModels.FloatInfo("y", outputShape.Select(d => (object)d).ToArray()));
        g.Node.AddRange(nodes);
        return OnnxModel.FromProto(TinyModels.Model(g, opset));
    }

    private static void AssertUpgradeKeepsOutputs(OnnxModel model, long[] shape)
    {
        var before = Run(model, "x", shape);
        var result = new UpgradeOpset(13).Apply(model);
        Assert.True(result.Changes > 0);
        Assert.Equal(13, model.OpsetVersion());
        AssertClose(before, Run(model, "x", shape), 1e-6f);
    }

    [Fact]
    public void Clip_attributes_become_inputs()
    {
        var clip = TinyModels.Node("Clip", ["x"], ["y"], "clip");
        clip.Attribute.Add(Float("min", -0.2f));
        clip.Attribute.Add(Float("max", 0.3f));
        var model = Chain(10, [2, 6], [2, 6], clip);
        AssertUpgradeKeepsOutputs(model, [2, 6]);
        Assert.Equal(3, model.Graph.Nodes[0].Inputs.Count);
        Assert.Null(model.Graph.Nodes[0].Attribute("min"));
    }

    [Fact]
    public void Squeeze_unsqueeze_and_reducesum_axes_become_inputs()
    {
        var unsqueeze = TinyModels.Node("Unsqueeze", ["x"], ["u"], "unsqueeze");
        unsqueeze.Attribute.Add(Ints("axes", 1));
        var reduce = TinyModels.Node("ReduceSum", ["u"], ["r"], "reduce");
        reduce.Attribute.Add(Ints("axes", 2));
        reduce.Attribute.Add(Int("keepdims", 1));
        var squeeze = TinyModels.Node("Squeeze", ["r"], ["y"], "squeeze");
        squeeze.Attribute.Add(Ints("axes", 1, 2));
        var model = Chain(11, [3, 4], [3], unsqueeze, reduce, squeeze);
        AssertUpgradeKeepsOutputs(model, [3, 4]);
        Assert.All(model.Graph.Nodes, n => Assert.Null(n.Attribute("axes")));
    }

    [Fact]
    public void Split_sizes_become_an_input()
    {
        var split = TinyModels.Node("Split", ["x"], ["a", "b"], "split");
        split.Attribute.Add(Int("axis", 1));
        split.Attribute.Add(Ints("split", 2, 4));
        var model = Chain(11, [2, 6], [2, 4], split, TinyModels.Node("Relu", ["b"], ["y"], "relu"));
        AssertUpgradeKeepsOutputs(model, [2, 6]);
    }

    [Fact]
    public void Softmax_keeps_its_pre_13_meaning_on_rank_3_input()
    {
        var softmax = TinyModels.Node("Softmax", ["x"], ["y"], "softmax");
        softmax.Attribute.Add(Int("axis", 1)); // before 13: normalize over the last two axes together
        var model = Chain(11, [2, 3, 4], [2, 3, 4], softmax);
        AssertUpgradeKeepsOutputs(model, [2, 3, 4]);
    }

    [Fact]
    public void Dropout_becomes_identity()
    {
        var dropout = TinyModels.Node("Dropout", ["x"], ["y"], "dropout");
        dropout.Attribute.Add(Float("ratio", 0.5f));
        var model = Chain(10, [2, 3], [2, 3], dropout);
        AssertUpgradeKeepsOutputs(model, [2, 3]);
        Assert.Equal("Identity", model.Graph.Nodes[0].OpType);
    }

    [Fact]
    public void Unknown_ops_are_refused_with_their_names()
    {
        var model = Chain(11, [2, 3], [2, 3], TinyModels.Node("FancyOp", ["x"], ["y"], "mystery"));
        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset(13).Apply(model));
        Assert.Contains("mystery", e.Message);
        Assert.Contains("FancyOp", e.Message);
        Assert.Equal(11, model.OpsetVersion());
    }

    [Fact]
    public void Models_at_the_target_are_untouched() =>
        Assert.Equal(0, new UpgradeOpset(13).Apply(OnnxModel.FromProto(TinyModels.MatMulReluAdd())).Changes);
}
