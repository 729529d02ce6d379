using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>The small graph-editing API that keeps the protobuf inside Shrink.Model.</summary>
public sealed class GraphEditingTests
{
    [Fact]
    public void WithOutputs_adds_each_new_output_once_and_leaves_the_model_alone()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var exposed = model.WithOutputs(["mm", "act", "mm", "output"]);
        Assert.Equal(["output", "mm", "act"], exposed.Graph.Outputs.Select(o => o.Name));
        Assert.Equal(["output"], model.Graph.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void WithOnlyOutputs_keeps_only_the_nodes_the_outputs_need()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var cut = model.WithOnlyOutputs(["mm"]);
        Assert.Equal(["matmul"], cut.Graph.Nodes.Select(n => n.Name));
        Assert.Equal(["mm"], cut.Graph.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void RemoveValueInfos_drops_only_the_named_entries()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        Assert.NotNull(model.Graph.FindValueInfo("mm"));
        Assert.Equal(1, model.Graph.RemoveValueInfos(new HashSet<string> { "mm", "absent" }));
        Assert.Equal(0, model.Graph.RemoveValueInfos(new HashSet<string> { "mm" }));
        Assert.DoesNotContain("mm", model.Graph.DeclaredValueNames);
        Assert.Contains("input", model.Graph.DeclaredValueNames);
    }

    [Fact]
    public void A_constant_nodes_value_becomes_a_tensor_and_its_attributes_read_without_protobuf()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(weightsAsConstants: true));
        var constant = model.Graph.Nodes.Single(n => n.Name == "const_W");
        Assert.True(constant.HasAttribute("value"));
        Assert.False(constant.HasAttribute("value_float"));
        Assert.Equal([4L, 3L], constant.GetTensor("value")!.Dims);
        var value = constant.ConstantValue()!;
        value.Rename("W");
        Assert.Equal("W", value.Name);
        Assert.Equal(TinyModels.RandomFloats(12, 1), value.ToFloatArray());
    }

    [Fact]
    public void SingleNode_is_the_layer_alone_with_its_weights()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var matmul = model.Graph.Nodes.Single(n => n.Name == "matmul");
        var single = OnnxModel.SingleNode(model, matmul, new ValueInfo("x", ElementType.Float, [new Dimension(2, null), new Dimension(4, null)]), "y", "layer", "matmul");
        var node = Assert.Single(single.Graph.Nodes);
        Assert.Equal(["x", "W"], node.Inputs);
        Assert.Equal(["y"], node.Outputs);
        Assert.Equal(["W"], single.Graph.Initializers.Keys);
        Assert.Equal(model.IrVersion, single.IrVersion);
        Assert.Equal([("", 13L)], single.OpsetImports);
    }
}
