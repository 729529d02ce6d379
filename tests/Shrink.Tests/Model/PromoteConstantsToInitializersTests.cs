using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace Shrink.Tests.Model;

public sealed class PromoteConstantsToInitializersTests
{
    private static Dictionary<string, TensorProto> Inputs(int features = 4) =>
        new() { ["input"] = TinyModels.FloatTensor("input", [5, features], TinyModels.RandomFloats(5 * features, 9)) };

    [Fact]
    public void Weights_held_in_constant_nodes_become_initializers_and_the_model_computes_the_same()
    {
        var withConstants = TinyModels.MatMulReluAdd(weightsAsConstants: true);
        var withInitializers = TinyModels.MatMulReluAdd(weightsAsConstants: false);
        var model = OnnxModel.FromProto(withConstants.Clone());
        var pass = new PromoteConstantsToInitializers();

        var result = pass.Apply(model);

        Assert.Equal("promote-constants", pass.Name);
        Assert.Equal(2, result.Changes);
        Assert.Equal(2, result.Details.Count);
        Assert.Contains(result.Details, d => d.Contains("'W'", StringComparison.Ordinal));
        Assert.Contains(result.Details, d => d.Contains("'b'", StringComparison.Ordinal));
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Constant");
        Assert.Equal(["matmul", "relu", "add"], model.Graph.Nodes.Select(n => n.Name));
        foreach (var expected in withInitializers.Graph.Initializer)
        {
            var actual = model.Graph.Initializers[expected.Name];
            Assert.Equal(expected.Name, actual.Proto.Name);
            Assert.Equal((ElementType)expected.DataType, actual.Type);
            Assert.Equal(expected.Dims, actual.Dims);
            Assert.Equal(expected.RawData.ToByteArray(), actual.RawBytes.ToArray());
        }
        Assert.Null(model.Graph.Producer("W"));

        // It saves, reloads, and computes bit for bit what the Constant version computes.
        using var dir = new TempDirectory();
        model.Save(dir.File("promoted.onnx"));
        var reloaded = OnnxModel.Load(dir.File("promoted.onnx"));
        Assert.Equal(2, reloaded.Graph.Initializers.Count);
        var before = OrtRunner.RunOnce(withConstants.ToByteArray(), Inputs());
        var after = OrtRunner.RunOnce(dir.File("promoted.onnx"), Inputs());
        Assert.Null(TensorCompare.BitIdentical(before[0], after[0]));
    }

    [Fact]
    public void A_second_application_changes_nothing()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(weightsAsConstants: true));
        var pass = new PromoteConstantsToInitializers();
        pass.Apply(model);
        var bytes = model.ToByteArray();

        var again = pass.Apply(model);

        Assert.Equal(0, again.Changes);
        Assert.Empty(again.Details);
        Assert.Equal(bytes, model.ToByteArray());
    }

    [Fact]
    public void A_model_without_constants_is_left_unchanged()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var bytes = model.ToByteArray();
        Assert.Equal(0, new PromoteConstantsToInitializers().Apply(model).Changes);
        Assert.Equal(bytes, model.ToByteArray());
    }

    [Fact]
    public void A_constant_that_is_also_a_graph_output_is_left_alone()
    {
        var proto = TinyModels.MatMulReluAdd(weightsAsConstants: true);
        proto.Graph.Output.Add(TinyModels.FloatInfo("b", 3));
        var model = OnnxModel.FromProto(proto);

        var result = new PromoteConstantsToInitializers().Apply(model);

        Assert.Equal(1, result.Changes);
        Assert.True(model.Graph.Initializers.ContainsKey("W"));
        Assert.False(model.Graph.Initializers.ContainsKey("b"));
        Assert.Equal("const_b", model.Graph.Producer("b")?.Name);
        var outputs = OrtRunner.RunOnce(model.ToByteArray(), Inputs());
        Assert.Equal(["output", "b"], outputs.Select(o => o.Name));
    }

    [Fact]
    public void Sparse_and_string_constants_are_left_alone()
    {
        var g = new GraphProto { Name = "others" };
        var sparse = new SparseTensorProto
        {
            Values = TinyModels.FloatTensor("", [1], [5f]),
            Indices = TinyModels.RawTensor("", TinyModels.Int64, [1], BitConverter.GetBytes(2L)),
        };
        sparse.Dims.Add(4);
        g.Node.Add(TinyModels.ConstantNode("sparse", new AttributeProto { Name = "sparse_value", Type = AttributeType.SparseTensor, SparseTensor = sparse }, "c_sparse"));
        g.Node.Add(TinyModels.ConstantNode("text", new AttributeProto { Name = "value_string", Type = AttributeType.String, S = ByteString.CopyFromUtf8("hi") }, "c_string"));
        var strings = new AttributeProto { Name = "value_strings", Type = AttributeType.Strings };
        strings.Strings.Add(ByteString.CopyFromUtf8("a"));
        g.Node.Add(TinyModels.ConstantNode("texts", strings, "c_strings"));
        g.Node.Add(TinyModels.Node("Identity", ["sparse"], ["y1"]));
        g.Node.Add(TinyModels.Node("Identity", ["text"], ["y2"]));
        g.Node.Add(TinyModels.Node("Identity", ["texts"], ["y3"]));
        g.Output.Add(TinyModels.FloatInfo("y1", 4));
        g.Output.Add(TinyModels.TensorInfo("y2", (int)TensorProto.Types.DataType.String));
        g.Output.Add(TinyModels.TensorInfo("y3", (int)TensorProto.Types.DataType.String, 1));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g));

        var result = new PromoteConstantsToInitializers().Apply(model);

        Assert.Equal(0, result.Changes);
        Assert.Equal(3, model.Graph.Nodes.Count(n => n.OpType == "Constant"));
        Assert.Empty(model.Graph.Initializers);
    }

    [Fact]
    public void Scalar_and_list_attributes_become_float_and_int64_tensors_with_the_same_values()
    {
        // x [3] float; y = x + value_floats + value_float; z = Shape-free int path: i = value_ints + value_int
        var g = new GraphProto { Name = "scalars" };
        g.Input.Add(TinyModels.FloatInfo("x", 3));
        var floats = new AttributeProto { Name = "value_floats", Type = AttributeType.Floats };
        floats.Floats.AddRange([0.5f, -1f, 2.25f]);
        var ints = new AttributeProto { Name = "value_ints", Type = AttributeType.Ints };
        ints.Ints.AddRange([7L, -8L, 1L << 40]);
        g.Node.Add(TinyModels.ConstantNode("fs", floats, "c_floats"));
        g.Node.Add(TinyModels.ConstantNode("f", new AttributeProto { Name = "value_float", Type = AttributeType.Float, F = 3.5f }, "c_float"));
        g.Node.Add(TinyModels.ConstantNode("is", ints, "c_ints"));
        g.Node.Add(TinyModels.ConstantNode("i", new AttributeProto { Name = "value_int", Type = AttributeType.Int, I = -42 }, "c_int"));
        g.Node.Add(TinyModels.Node("Add", ["x", "fs"], ["s1"]));
        g.Node.Add(TinyModels.Node("Add", ["s1", "f"], ["y"]));
        g.Node.Add(TinyModels.Node("Add", ["is", "i"], ["z"]));
        g.Output.Add(TinyModels.FloatInfo("y", 3));
        g.Output.Add(TinyModels.TensorInfo("z", TinyModels.Int64, 3));
        var proto = TinyModels.BuildModel(g);
        var model = OnnxModel.FromProto(proto.Clone());

        var result = new PromoteConstantsToInitializers().Apply(model);

        Assert.Equal(4, result.Changes);
        var init = model.Graph.Initializers;
        Assert.Equal(ElementType.Float, init["fs"].Type);
        Assert.Equal([3L], init["fs"].Dims);
        Assert.Equal([0.5f, -1f, 2.25f], init["fs"].AsSpan<float>().ToArray());
        Assert.Equal(ElementType.Float, init["f"].Type);
        Assert.Empty(init["f"].Dims);
        Assert.Equal([3.5f], init["f"].AsSpan<float>().ToArray());
        Assert.Equal(ElementType.Int64, init["is"].Type);
        Assert.Equal([3L], init["is"].Dims);
        Assert.Equal([7L, -8L, 1L << 40], init["is"].AsSpan<long>().ToArray());
        Assert.Equal(ElementType.Int64, init["i"].Type);
        Assert.Empty(init["i"].Dims);
        Assert.Equal([-42L], init["i"].AsSpan<long>().ToArray());

        var x = new Dictionary<string, TensorProto> { ["x"] = TinyModels.FloatTensor("x", [3], [1f, 2f, 3f]) };
        var before = OrtRunner.RunOnce(proto.ToByteArray(), x);
        var after = OrtRunner.RunOnce(model.ToByteArray(), x);
        Assert.Null(TensorCompare.BitIdentical(before[0], after[0]));
        Assert.Null(TensorCompare.BitIdentical(before[1], after[1]));
        Assert.Equal([5f, 4.5f, 8.75f], MemoryMarshal.Cast<byte, float>(after[0].Bytes).ToArray());
        Assert.Equal([7L - 42, -8L - 42, (1L << 40) - 42], MemoryMarshal.Cast<byte, long>(after[1].Bytes).ToArray());
    }

    [Fact]
    public void Constants_with_typed_field_data_are_promoted_with_their_values()
    {
        // PyTorch's older exporters write some Constant values in int64_data rather than raw_data.
        var g = new GraphProto { Name = "typed" };
        g.Input.Add(TinyModels.TensorInfo("x", TinyModels.Int64, 2));
        var value = new TensorProto { DataType = TinyModels.Int64 };
        value.Dims.Add(2);
        value.Int64Data.AddRange([10L, -20L]);
        g.Node.Add(TinyModels.ConstantNode("k", value, "c_k"));
        g.Node.Add(TinyModels.Node("Mul", ["x", "k"], ["y"]));
        g.Output.Add(TinyModels.TensorInfo("y", TinyModels.Int64, 2));
        var proto = TinyModels.BuildModel(g);
        var model = OnnxModel.FromProto(proto.Clone());

        Assert.Equal(1, new PromoteConstantsToInitializers().Apply(model).Changes);

        Assert.Equal([10L, -20L], model.Graph.Initializers["k"].AsSpan<long>().ToArray());
        var x = new Dictionary<string, TensorProto> { ["x"] = TinyModels.RawTensor("x", TinyModels.Int64, [2], MemoryMarshal.AsBytes<long>([3L, 4L]).ToArray()) };
        Assert.Null(TensorCompare.BitIdentical(OrtRunner.RunOnce(proto.ToByteArray(), x)[0], OrtRunner.RunOnce(model.ToByteArray(), x)[0]));
    }

    [Fact]
    public void Constants_inside_subgraphs_are_not_touched_but_still_compute()
    {
        var proto = TinyModels.MatMulReluAdd(weightsAsConstants: true);
        var g = proto.Graph;
        g.Input.Add(TinyModels.TensorInfo("cond", (int)TensorProto.Types.DataType.Bool));
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(TinyModels.ConstantNode("inner", TinyModels.FloatTensor("", [3], [1f, 2f, 3f]), "c_inner"));
        thenBranch.Node.Add(TinyModels.Node("Add", ["output", "inner"], ["t_out"]));
        thenBranch.Output.Add(TinyModels.FloatInfo("t_out", "batch", 3));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(TinyModels.Node("Add", ["output", "b"], ["e_out"])); // reads a promoted value from the outer scope
        elseBranch.Output.Add(TinyModels.FloatInfo("e_out", "batch", 3));
        var ifNode = TinyModels.Node("If", ["cond"], ["chosen"], "if");
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeType.Graph, G = thenBranch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeType.Graph, G = elseBranch });
        g.Node.Add(ifNode);
        g.Output.Add(TinyModels.FloatInfo("chosen", "batch", 3));
        var model = OnnxModel.FromProto(proto.Clone());

        Assert.Equal(2, new PromoteConstantsToInitializers().Apply(model).Changes);
        Assert.Equal("Constant", thenBranch.Node[0].OpType);

        foreach (bool c in new[] { true, false })
        {
            var inputs = Inputs();
            inputs["cond"] = TinyModels.RawTensor("cond", (int)TensorProto.Types.DataType.Bool, [], [c ? (byte)1 : (byte)0]);
            var before = OrtRunner.RunOnce(proto.ToByteArray(), inputs);
            var after = OrtRunner.RunOnce(model.ToByteArray(), inputs);
            for (int i = 0; i < before.Count; i++) Assert.Null(TensorCompare.BitIdentical(before[i], after[i]));
        }
    }

    [Fact]
    public void For_ir_version_3_promoted_initializers_are_also_graph_inputs()
    {
        // Opset 8 exporters wrote IR version 3, where every initializer must be listed among the graph inputs.
        var proto = TinyModels.MatMulReluAdd(weightsAsConstants: true);
        proto.IrVersion = 3;
        proto.OpsetImport[0].Version = 8;
        var model = OnnxModel.FromProto(proto.Clone());

        Assert.Equal(2, new PromoteConstantsToInitializers().Apply(model).Changes);

        var inputs = model.Proto.Graph.Input.Select(i => i.Name).ToList();
        Assert.Contains("W", inputs);
        Assert.Contains("b", inputs);
        Assert.Equal("[4,3]", ValueInfo.FromProto(model.Proto.Graph.Input.Single(i => i.Name == "W")).ShapeText);
        Assert.Equal(["input"], model.Graph.Inputs.Select(i => i.Name));
        var before = OrtRunner.RunOnce(proto.ToByteArray(), Inputs());
        var after = OrtRunner.RunOnce(model.ToByteArray(), Inputs());
        Assert.Null(TensorCompare.BitIdentical(before[0], after[0]));
    }

    [Fact]
    public void The_shared_reference_model_keeps_computing_the_same_after_promotion()
    {
        var model = OnnxModel.Load(RepoPaths.CnnSmall);
        int constantsBefore = model.Graph.Nodes.Count(n => n.OpType == "Constant");

        var result = new PromoteConstantsToInitializers().Apply(model);

        Assert.Equal(result.Changes, constantsBefore - model.Graph.Nodes.Count(n => n.OpType == "Constant"));
        var x = new Dictionary<string, TensorProto> { ["input"] = TinyModels.FloatTensor("input", [2, 1, 28, 28], TinyModels.RandomFloats(2 * 28 * 28, 3)) };
        var before = OrtRunner.RunOnce(RepoPaths.CnnSmall, x);
        var after = OrtRunner.RunOnce(model.ToByteArray(), x);
        Assert.Null(TensorCompare.BitIdentical(before[0], after[0]));
    }
}
