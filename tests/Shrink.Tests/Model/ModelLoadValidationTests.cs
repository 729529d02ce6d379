using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>
/// Garbage that used to load silently (or crash a later pass) is refused by the one validation pass every load goes
/// through, with a message naming the file and the input, opset, tensor, value or node at fault.
/// </summary>
public sealed class ModelLoadValidationTests
{
    private static ShrinkException LoadFails(ModelProto model, string fileName, params string[] named)
    {
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(model, dir.File(fileName));
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains(fileName, e.Message, StringComparison.Ordinal);
        foreach (var n in named) Assert.Contains(n, e.Message, StringComparison.Ordinal);
        // Models built in code get the same checks.
        Assert.Throws<ShrinkException>(() => OnnxModel.FromProto(model.Clone()));
        return e;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto GraphAttribute(string name, GraphProto graph) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };

    /// <summary><c>x [1,in,5,5] → Conv(W [out,in/group,3,3], group) → y</c>.</summary>
    private static ModelProto ConvModel(long[] weightDims, long group, int inChannels)
    {
        var graph = new GraphProto { Name = "conv" };
        graph.Input.Add(TinyModels.FloatInfo("x", 1, inChannels, 5, 5));
        long count = weightDims.Aggregate(1L, (a, d) => a * d);
        graph.Initializer.Add(TinyModels.FloatTensor("W", weightDims, new float[count]));
        var conv = TinyModels.Node("Conv", ["x", "W"], ["y"], "conv");
        conv.Attribute.Add(IntAttribute("group", group));
        graph.Node.Add(conv);
        graph.Output.Add(TinyModels.FloatInfo("y"));
        return TinyModels.BuildModel(graph);
    }

    [Fact]
    public void A_graph_input_with_a_negative_dimension_is_refused_naming_input_dimension_and_axis()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Input[0] = TinyModels.FloatInfo("input", 1, -5);
        var e = LoadFails(model, "negative-input.onnx", "'input'", "-5", "axis 1");
        Assert.Contains("input 'input' declares dimension -5 at axis 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("", "ai.onnx")]
    [InlineData("ai.onnx", "ai.onnx")]
    public void Importing_the_default_opset_twice_is_refused(string first, string second)
    {
        var model = TinyModels.MatMulReluAdd();
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = first, Version = 13 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = second, Version = 17 });
        LoadFails(model, "two-opsets.onnx", "'ai.onnx'", "twice", "13", "17");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(99)]
    public void An_opset_version_of_zero_or_beyond_what_the_runtime_implements_is_refused(long version)
    {
        var model = TinyModels.MatMulReluAdd();
        model.OpsetImport[0].Version = version;
        LoadFails(model, $"opset{version}.onnx", "'ai.onnx'", $"version {version}");
    }

    [Fact]
    public void A_custom_domain_at_version_zero_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.example", Version = 0 });
        LoadFails(model, "custom-opset0.onnx", "'com.example'");
    }

    [Fact]
    public void The_newest_opset_the_validator_accepts_loads_in_onnx_runtime_and_the_next_one_does_not()
    {
        // Keeps MaxDefaultOpset honest when the ONNX Runtime package changes: raise it when this fails on the second half.
        static ModelProto IdentityAt(long opset)
        {
            var graph = new GraphProto { Name = "identity" };
            graph.Input.Add(TinyModels.FloatInfo("x", 1, 2));
            graph.Node.Add(TinyModels.Node("Identity", ["x"], ["y"], "identity"));
            graph.Output.Add(TinyModels.FloatInfo("y", 1, 2));
            return TinyModels.BuildModel(graph, opset: opset, irVersion: 10);
        }

        var newest = IdentityAt(ModelValidator.MaxDefaultOpset);
        OnnxModel.FromProto(newest);
        using (var session = OrtRunner.Open(newest.ToByteArray())) Assert.Single(session.OutputNames);

        Assert.ThrowsAny<OnnxRuntimeException>(() => OrtRunner.Open(IdentityAt(ModelValidator.MaxDefaultOpset + 1).ToByteArray()).Dispose());
    }

    [Fact]
    public void A_graph_without_outputs_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Output.Clear();
        LoadFails(model, "no-outputs.onnx", "declares no outputs");
    }

    [Fact]
    public void Two_initializers_with_one_name_are_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer.Add(TinyModels.FloatTensor("b", [3], [1, 2, 3]));
        LoadFails(model, "dup-initializer.onnx", "initializer 'b'", "twice");
    }

    [Theory]
    [InlineData("float_data")]
    [InlineData("int32_data")]
    [InlineData("int64_data")]
    public void A_tensor_with_raw_data_and_a_typed_data_field_is_refused(string field)
    {
        var model = TinyModels.MatMulReluAdd();
        var b = model.Graph.Initializer[1];
        switch (field)
        {
            case "float_data": b.FloatData.Add([1f, 2f, 3f]); break;
            case "int32_data": b.Int32Data.Add(7); break;
            default: b.Int64Data.Add(7); break;
        }
        LoadFails(model, "raw-and-typed.onnx", "'b'", "raw_data", field);
    }

    [Fact]
    public void A_tensor_with_external_data_and_inline_data_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        var b = model.Graph.Initializer[1];
        b.DataLocation = TensorProto.Types.DataLocation.External;
        b.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "b.bin" });
        LoadFails(model, "external-and-raw.onnx", "'b'", "external data");
    }

    [Fact]
    public void A_graph_output_listed_twice_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Output.Add(TinyModels.FloatInfo("output", "batch", 3));
        LoadFails(model, "dup-output.onnx", "graph output 'output'", "twice");
    }

    [Fact]
    public void A_node_output_reusing_a_graph_input_or_initializer_name_is_refused()
    {
        var overInput = TinyModels.MatMulReluAdd();
        overInput.Graph.Node[1].Output[0] = "input";
        overInput.Graph.Node[2].Input[0] = "input";
        LoadFails(overInput, "ssa-input.onnx", "'relu'", "'input'");

        var overInitializer = TinyModels.MatMulReluAdd();
        overInitializer.Graph.Node[1].Output[0] = "b";
        LoadFails(overInitializer, "ssa-initializer.onnx", "'relu'", "'b'");
    }

    [Fact]
    public void A_node_naming_one_output_twice_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        var split = TinyModels.Node("Split", ["output"], ["half", "half"], "split");
        model.Graph.Node.Add(split);
        LoadFails(model, "dup-node-output.onnx", "'half'", "'split'");
    }

    [Fact]
    public void A_cycle_is_refused_naming_its_nodes()
    {
        // relu reads add's output and add reads relu's: mm -> relu <-> add.
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Node[1].Input.Add("output");
        model.Graph.Node[1].OpType = "Add";
        var e = LoadFails(model, "cycle.onnx", "graph 'tiny' form a cycle", "'relu'", "'add'");
        Assert.DoesNotContain("'matmul'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_reading_its_own_output_is_refused()
    {
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Node[1].Input[0] = "act";
        LoadFails(model, "self-loop.onnx", "'relu'", "'act'", "cycle");
    }

    [Fact]
    public void Nodes_out_of_topological_order_but_acyclic_are_accepted()
    {
        var model = TinyModels.MatMulReluAdd();
        var nodes = model.Graph.Node.Reverse().ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(nodes);
        Assert.Equal(3, OnnxModel.FromProto(model).Graph.Nodes.Count);
    }

    private static ModelProto WithIf(string thenReads, string elseReads)
    {
        var model = TinyModels.MatMulReluAdd();
        var g = model.Graph;
        g.Input.Add(TinyModels.TensorInfo("cond", (int)TensorProto.Types.DataType.Bool));
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(TinyModels.Node("Identity", [thenReads], ["t_out"], "then_identity"));
        thenBranch.Output.Add(TinyModels.FloatInfo("t_out", "batch", 3));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(TinyModels.Node("Neg", [elseReads], ["e_out"], "else_neg"));
        elseBranch.Output.Add(TinyModels.FloatInfo("e_out", "batch", 3));
        var ifNode = TinyModels.Node("If", ["cond"], ["chosen"], "if");
        ifNode.Attribute.Add(GraphAttribute("then_branch", thenBranch));
        ifNode.Attribute.Add(GraphAttribute("else_branch", elseBranch));
        g.Node.Add(ifNode);
        g.Output.Add(TinyModels.FloatInfo("chosen", "batch", 3));
        return model;
    }

    [Fact]
    public void An_if_branch_reading_outer_values_is_accepted()
    {
        Assert.Equal(4, OnnxModel.FromProto(WithIf("output", "act")).Graph.Nodes.Count);
    }

    [Fact]
    public void An_if_branch_naming_a_tensor_no_enclosing_graph_defines_is_refused()
    {
        var e = LoadFails(WithIf("output", "phantom"), "if-unknown.onnx", "'phantom'", "'else_neg'", "else_branch", "'if'");
        Assert.DoesNotContain("then", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_if_branch_reading_a_value_computed_from_the_if_itself_is_a_cycle()
    {
        var model = WithIf("late", "act");
        model.Graph.Node.Add(TinyModels.Node("Relu", ["chosen"], ["late"], "late_relu"));
        LoadFails(model, "if-cycle.onnx", "cycle", "'if'", "'late_relu'");
    }

    [Fact]
    public void A_duplicate_inside_a_loop_body_is_refused()
    {
        var model = WithIf("output", "act");
        var elseBranch = model.Graph.Node[3].Attribute[1].G;
        elseBranch.Node.Add(TinyModels.Node("Relu", ["act"], ["e_out"], "second_writer"));
        LoadFails(model, "if-dup.onnx", "'e_out'", "'second_writer'", "else_branch");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void A_conv_group_below_one_is_refused(long group)
    {
        LoadFails(ConvModel([4, 2, 3, 3], group, 2), "conv-group.onnx", "'conv'", $"group = {group}");
    }

    [Fact]
    public void A_conv_group_that_does_not_divide_the_output_channels_is_refused()
    {
        LoadFails(ConvModel([5, 1, 3, 3], 2, 2), "conv-group-divide.onnx", "'conv'", "group = 2", "'W'");
    }

    [Fact]
    public void A_conv_group_that_does_not_match_the_input_channels_is_refused()
    {
        // Weight [4,3,3,3] with group 2 takes 6 channels; x has 3.
        LoadFails(ConvModel([4, 3, 3, 3], 2, 3), "conv-group-channels.onnx", "'conv'", "'x'", "3 channels", "takes 6");
    }

    [Fact]
    public void A_conv_weight_with_a_zero_dimension_is_refused()
    {
        LoadFails(ConvModel([4, 0, 3, 3], 1, 2), "conv-zero.onnx", "'conv'", "'W'", "zero dimension");
    }

    [Fact]
    public void A_conv_with_a_zero_stride_or_negative_pad_is_refused()
    {
        var stride = ConvModel([4, 2, 3, 3], 1, 2);
        stride.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 0 } });
        LoadFails(stride, "conv-stride.onnx", "'conv'", "strides");

        var pads = ConvModel([4, 2, 3, 3], 1, 2);
        pads.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, -1, 0, 0 } });
        LoadFails(pads, "conv-pads.onnx", "'conv'", "pads");
    }

    [Fact]
    public void A_valid_grouped_conv_loads_and_runs_in_onnx_runtime()
    {
        var model = ConvModel([4, 1, 3, 3], 2, 2);
        Assert.Single(OnnxModel.FromProto(model).Graph.Nodes);
        using var session = OrtRunner.Open(model.ToByteArray());
        Assert.Single(session.OutputNames);
    }

    [Fact]
    public void A_100000_node_identity_chain_validates_in_linear_time()
    {
        const int count = 100_000;
        var graph = new GraphProto { Name = "chain" };
        graph.Input.Add(TinyModels.FloatInfo("v0", 1, 4));
        for (int i = 0; i < count; i++)
            graph.Node.Add(TinyModels.Node("Identity", [$"v{i}"], [$"v{i + 1}"], $"n{i}"));
        graph.Output.Add(TinyModels.FloatInfo($"v{count}", 1, 4));
        var model = TinyModels.BuildModel(graph);
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(model, dir.File("chain.onnx"));

        var clock = Stopwatch.StartNew();
        var loaded = OnnxModel.Load(path);
        clock.Stop();

        Assert.Equal(count, loaded.Graph.Nodes.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"loading a {count}-node chain took {clock.Elapsed}.");

        // The same chain closed into a loop is found without quadratic work too.
        graph.Node[0].Input[0] = $"v{count}";
        clock.Restart();
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.FromProto(model));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"refusing a {count}-node cycle took {clock.Elapsed}.");
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
    }
}
