using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>Structurally broken models are refused on load with a message naming the file and the culprit.</summary>
public sealed class ModelValidatorTests
{
    private static ShrinkException LoadFails(ModelProto model, string fileName)
    {
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(model, dir.File(fileName));
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains(fileName, e.Message, StringComparison.Ordinal);
        // Models built in code get the same checks.
        Assert.Throws<ShrinkException>(() => OnnxModel.FromProto(model.Clone()));
        return e;
    }

    [Fact]
    public void The_tiny_fixture_itself_is_valid()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        Assert.Equal(3, model.Graph.Nodes.Count);
    }

    [Fact]
    public void A_tensor_with_absurd_dims_and_four_bytes_of_data_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        var huge = TinyModels.RawTensor("huge", TinyModels.Float, [100_000, 100_000, 100_000], [1, 2, 3, 4]);
        model.Graph.Initializer.Add(huge);
        var e = LoadFails(model, "absurd.onnx");
        Assert.Contains("'huge'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tensor_whose_element_count_overflows_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer.Add(TinyModels.RawTensor("overflow", TinyModels.Float, [1L << 31, 1L << 31, 1L << 31], [1, 2, 3, 4]));
        var e = LoadFails(model, "overflow.onnx");
        Assert.Contains("'overflow'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_dimension_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer.Add(TinyModels.RawTensor("negative", TinyModels.Float, [-1, 1], [1, 2, 3, 4]));
        var e = LoadFails(model, "negative.onnx");
        Assert.Contains("'negative'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_data_type_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer[0].DataType = 99;
        var e = LoadFails(model, "unknown-type.onnx");
        Assert.Contains("'W'", e.Message, StringComparison.Ordinal);
        Assert.Contains("99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_of_the_wrong_size_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer[1].RawData = ByteString.CopyFrom(new byte[7]);
        var e = LoadFails(model, "short.onnx");
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_tensor_inside_a_constant_node_is_refused()
    {
        var model = TinyModels.MatMulReluAdd(weightsAsConstants: true);
        model.Graph.Node[0].Attribute[0].T.RawData = ByteString.CopyFrom(new byte[3]);
        var e = LoadFails(model, "constant.onnx");
        Assert.Contains("const_W", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_reading_an_undefined_value_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Node[1].Input[0] = "nowhere";
        var e = LoadFails(model, "undefined.onnx");
        Assert.Contains("'relu'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'nowhere'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_produced_twice_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Node.Add(TinyModels.Node("Neg", ["input"], ["mm"], "second_producer"));
        var e = LoadFails(model, "duplicate.onnx");
        Assert.Contains("'mm'", e.Message, StringComparison.Ordinal);
        Assert.Contains("second_producer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_output_nothing_produces_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Output.Add(TinyModels.FloatInfo("ghost", 1));
        var e = LoadFails(model, "ghost.onnx");
        Assert.Contains("'ghost'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_without_op_type_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Node[1].OpType = "";
        var e = LoadFails(model, "no-op.onnx");
        Assert.Contains("'relu'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_graph_or_opsets_is_refused()
    {
        var noGraph = TinyModels.MatMulReluAdd();
        noGraph.Graph = null;
        LoadFails(noGraph, "no-graph.onnx");

        var noOpset = TinyModels.MatMulReluAdd();
        noOpset.OpsetImport.Clear();
        LoadFails(noOpset, "no-opset.onnx");
    }

    [Fact]
    public void Values_read_from_the_outer_scope_of_a_subgraph_and_omitted_optional_inputs_are_accepted()
    {
        // If(cond) { then: Identity(input) } else { Neg(input) }; Clip with an omitted optional min.
        var model = TinyModels.MatMulReluAdd();
        var g = model.Graph;
        g.Input.Add(TinyModels.TensorInfo("cond", (int)TensorProto.Types.DataType.Bool));
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(TinyModels.Node("Identity", ["output"], ["t_out"]));
        thenBranch.Output.Add(TinyModels.FloatInfo("t_out", "batch", 3));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(TinyModels.Node("Neg", ["output"], ["e_out"]));
        elseBranch.Output.Add(TinyModels.FloatInfo("e_out", "batch", 3));
        var ifNode = TinyModels.Node("If", ["cond"], ["chosen"], "if");
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch });
        g.Node.Add(ifNode);
        g.Node.Add(TinyModels.Node("Clip", ["chosen", "", "b"], ["clipped"], "clip"));
        g.Output.Add(TinyModels.FloatInfo("clipped", "batch", 3));

        var loaded = OnnxModel.FromProto(model);

        Assert.Equal(5, loaded.Graph.Nodes.Count);
    }
}
