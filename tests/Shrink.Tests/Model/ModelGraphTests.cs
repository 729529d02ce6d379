using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public sealed class ModelGraphTests
{
    private static Dictionary<string, TensorProto> Inputs() =>
        new() { ["input"] = TinyModels.FloatTensor("input", [2, 4], TinyModels.RandomFloats(8, 5)) };

    // x → a = Relu(x), b = Neg(x), c = Add(a, b), d = Mul(c, c), e = Sigmoid(d), f = Sub(e, a) → y
    private static ModelProto Chain()
    {
        var g = new GraphProto { Name = "chain" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 2, 3));
        g.Node.Add(TinyModels.Node("Relu", ["x"], ["a"], "n_a"));
        g.Node.Add(TinyModels.Node("Neg", ["x"], ["b"], "n_b"));
        g.Node.Add(TinyModels.Node("Add", ["a", "b"], ["c"], "n_c"));
        g.Node.Add(TinyModels.Node("Mul", ["c", "c"], ["d"], "n_d"));
        g.Node.Add(TinyModels.Node("Sigmoid", ["d"], ["e"], "n_e"));
        g.Node.Add(TinyModels.Node("Sub", ["e", "a"], ["y"], "n_f"));
        return TinyModels.BuildModel(g);
    }

    private static void AssertTopological(IReadOnlyList<Node> order, ModelProto model)
    {
        var position = new Dictionary<string, int>();
        for (int i = 0; i < order.Count; i++)
            foreach (var o in order[i].Outputs) position[o] = i;
        for (int i = 0; i < order.Count; i++)
            foreach (var input in order[i].Inputs)
                if (position.TryGetValue(input, out int p)) Assert.True(p < i, $"{order[i].Name} reads '{input}' before it is produced");
        Assert.Equal(model.Graph.Node.Select(n => n.Name).Order(), order.Select(n => n.Name).Order());
    }

    [Fact]
    public void Producers_and_consumers_are_found()
    {
        var graph = OnnxModel.FromProto(Chain()).Graph;

        Assert.Equal("n_c", graph.Producer("c")?.Name);
        Assert.Null(graph.Producer("x"));
        Assert.Null(graph.Producer("unknown"));
        Assert.Equal(["n_a", "n_b"], graph.Consumers("x").Select(n => n.Name));
        Assert.Equal(["n_c", "n_f"], graph.Consumers("a").Select(n => n.Name));
        Assert.Equal(["n_d"], graph.Consumers("c").Select(n => n.Name)); // read twice, listed once
        Assert.Empty(graph.Consumers("y"));
        Assert.True(graph.IsGraphOutput("y"));
        Assert.False(graph.IsGraphOutput("e"));
    }

    [Fact]
    public void Initializers_inputs_and_outputs_are_exposed()
    {
        var graph = OnnxModel.FromProto(TinyModels.MatMulReluAdd()).Graph;

        Assert.Equal(["W", "b"], graph.Initializers.Keys.Order(StringComparer.Ordinal));
        Assert.Null(graph.Producer("W"));
        Assert.Equal(["matmul"], graph.Consumers("W").Select(n => n.Name));
        Assert.Equal(["input"], graph.Inputs.Select(i => i.Name));
        Assert.Equal(["output"], graph.Outputs.Select(o => o.Name));
        Assert.Equal("tiny", graph.Name);
    }

    [Fact]
    public void Initializers_listed_as_graph_inputs_are_not_real_inputs()
    {
        // Exporters for opset < 9 list every initializer among the graph inputs.
        var proto = TinyModels.MatMulReluAdd();
        proto.Graph.Input.Add(TinyModels.FloatInfo("W", 4, 3));
        proto.Graph.Input.Add(TinyModels.FloatInfo("b", 3));
        var graph = OnnxModel.FromProto(proto).Graph;
        Assert.Equal(["input"], graph.Inputs.Select(i => i.Name));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_shuffled_node_list_is_put_in_topological_order(int seed)
    {
        var sorted = Chain();
        var shuffled = sorted.Clone();
        var nodes = shuffled.Graph.Node.ToArray();
        new Random(seed).Shuffle(nodes);
        shuffled.Graph.Node.Clear();
        shuffled.Graph.Node.AddRange(nodes);
        var model = OnnxModel.FromProto(shuffled);

        var order = model.Graph.TopologicalOrder();
        AssertTopological(order, sorted);

        model.Graph.SortTopologically();
        Assert.Equal(order, model.Graph.Nodes);
        // The sorted model computes what the hand-ordered one does.
        var x = new Dictionary<string, TensorProto> { ["x"] = TinyModels.FloatTensor("x", [2, 3], TinyModels.RandomFloats(6, seed)) };
        Assert.Null(TensorCompare.BitIdentical(OrtRunner.RunOnce(sorted.ToByteArray(), x)[0], OrtRunner.RunOnce(model.ToByteArray(), x)[0]));
    }

    [Fact]
    public void Topological_order_keeps_an_already_sorted_graph_as_it_is()
    {
        var model = OnnxModel.FromProto(Chain());
        Assert.Equal(model.Graph.Nodes, model.Graph.TopologicalOrder());
    }

    [Fact]
    public void A_cycle_is_reported_naming_a_node_on_it()
    {
        var g = new GraphProto { Name = "cyclic" };
        g.Input.Add(TinyModels.FloatInfo("x", 1));
        g.Output.Add(TinyModels.FloatInfo("y", 1));
        g.Node.Add(TinyModels.Node("Relu", ["x"], ["start"], "entry"));
        g.Node.Add(TinyModels.Node("Add", ["start", "q"], ["p"], "loop_p"));
        g.Node.Add(TinyModels.Node("Neg", ["p"], ["q"], "loop_q"));
        g.Node.Add(TinyModels.Node("Identity", ["q"], ["y"], "exit"));
        // Loading refuses a cyclic model (ModelLoadValidationTests); the IR, built directly, must still report one.
        var graph = new ModelGraph(g);

        var e = Assert.Throws<ShrinkException>(() => graph.TopologicalOrder());

        Assert.Contains("cyclic", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("loop_p", StringComparison.Ordinal) || e.Message.Contains("loop_q", StringComparison.Ordinal), e.Message);
        Assert.Throws<ShrinkException>(() => graph.SortTopologically());
        Assert.Equal(["entry", "loop_p", "loop_q", "exit"], graph.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Renaming_a_value_updates_its_producer_consumers_and_value_info()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var graph = model.Graph;
        var before = OrtRunner.RunOnce(model.ToByteArray(), Inputs());

        graph.RenameValue("mm", "product");

        Assert.Equal(["product"], graph.Producer("product")!.Outputs);
        Assert.Null(graph.Producer("mm"));
        Assert.Equal(["relu"], graph.Consumers("product").Select(n => n.Name));
        Assert.Empty(graph.Consumers("mm"));
        Assert.NotNull(graph.FindValueInfo("product"));
        Assert.Null(graph.FindValueInfo("mm"));
        Assert.Null(TensorCompare.BitIdentical(before[0], OrtRunner.RunOnce(model.ToByteArray(), Inputs())[0]));
    }

    [Fact]
    public void Renaming_an_initializer_and_a_graph_output_updates_them()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var graph = model.Graph;
        var before = OrtRunner.RunOnce(model.ToByteArray(), Inputs());

        graph.RenameValue("W", "weight");
        graph.RenameValue("output", "logits");
        graph.RenameValue("input", "pixels");

        Assert.False(graph.Initializers.ContainsKey("W"));
        Assert.Equal("weight", graph.Initializers["weight"].Name);
        Assert.Equal(["pixels", "weight"], graph.Nodes[0].Inputs);
        Assert.Equal(["logits"], graph.Outputs.Select(o => o.Name));
        Assert.Equal(["pixels"], graph.Inputs.Select(i => i.Name));
        var bytes = model.ToByteArray();
        OnnxModel.Load(new MemoryStream(bytes)); // still valid
        var after = OrtRunner.RunOnce(bytes, new Dictionary<string, TensorProto> { ["pixels"] = Inputs()["input"] });
        Assert.Equal("logits", after[0].Name);
        Assert.Equal(before[0].Bytes, after[0].Bytes);
    }

    [Fact]
    public void Renaming_to_a_name_in_use_is_refused_and_changes_nothing()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var before = model.ToByteArray();

        var e = Assert.Throws<ShrinkException>(() => model.Graph.RenameValue("mm", "act"));
        Assert.Contains("'act'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ShrinkException>(() => model.Graph.RenameValue("mm", "W"));
        Assert.Throws<ShrinkException>(() => model.Graph.RenameValue("mm", "input"));

        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void Renaming_reaches_reads_inside_subgraphs_unless_shadowed()
    {
        var proto = TinyModels.MatMulReluAdd();
        var g = proto.Graph;
        g.Input.Add(TinyModels.TensorInfo("cond", (int)TensorProto.Types.DataType.Bool));
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(TinyModels.Node("Identity", ["act"], ["t_out"]));
        thenBranch.Output.Add(TinyModels.FloatInfo("t_out", "batch", 3));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(TinyModels.Node("Neg", ["mm"], ["act"])); // defines its own 'act'
        elseBranch.Node.Add(TinyModels.Node("Identity", ["act"], ["e_out"]));
        elseBranch.Output.Add(TinyModels.FloatInfo("e_out", "batch", 3));
        var ifNode = TinyModels.Node("If", ["cond"], ["chosen"], "if");
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch });
        g.Node.Add(ifNode);
        g.Output.Add(TinyModels.FloatInfo("chosen", "batch", 3));
        var model = OnnxModel.FromProto(proto);

        Assert.Equal(["add", "if"], model.Graph.Consumers("act").Select(n => n.Name));
        model.Graph.RenameValue("act", "activated");

        Assert.Equal("activated", thenBranch.Node[0].Input[0]);
        Assert.Equal("act", elseBranch.Node[1].Input[0]); // shadowed by the branch's own 'act'
        Assert.Equal(["add", "if"], model.Graph.Consumers("activated").Select(n => n.Name));
        // The If reads 'activated' (then branch) and 'mm' (else branch): it must come after both producers.
        var order = model.Graph.TopologicalOrder().Select(n => n.Name).ToList();
        Assert.True(order.IndexOf("if") > order.IndexOf("relu"));
    }

    [Fact]
    public void Unused_initializers_are_removed_with_their_graph_input_entries()
    {
        var proto = TinyModels.MatMulReluAdd();
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("unused", [2], [1, 2]));
        proto.Graph.Input.Add(TinyModels.FloatInfo("unused", 2));
        proto.Graph.Initializer.Add(TinyModels.FloatTensor("exported", [1], [3]));
        proto.Graph.Output.Add(TinyModels.FloatInfo("exported", 1));
        var model = OnnxModel.FromProto(proto);

        int removed = model.Graph.RemoveUnusedInitializers();

        Assert.Equal(1, removed);
        Assert.Equal(["W", "b", "exported"], model.Graph.Initializers.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(model.Proto.Graph.Input, i => i.Name == "unused");
        model.Graph.SyncToProto();
        Assert.Equal(["W", "b", "exported"], model.Proto.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(0, model.Graph.RemoveUnusedInitializers());
        var outputs = OrtRunner.RunOnce(model.ToByteArray(), Inputs());
        Assert.Equal(2, outputs.Count);
    }

    [Fact]
    public void Initializers_read_only_inside_a_subgraph_are_kept()
    {
        var proto = TinyModels.MatMulReluAdd();
        var g = proto.Graph;
        g.Initializer.Add(TinyModels.FloatTensor("only_in_branch", [3], [1, 2, 3]));
        g.Input.Add(TinyModels.TensorInfo("cond", (int)TensorProto.Types.DataType.Bool));
        var thenBranch = new GraphProto { Name = "then" };
        thenBranch.Node.Add(TinyModels.Node("Add", ["output", "only_in_branch"], ["t_out"]));
        thenBranch.Output.Add(TinyModels.FloatInfo("t_out", "batch", 3));
        var elseBranch = new GraphProto { Name = "else" };
        elseBranch.Node.Add(TinyModels.Node("Identity", ["output"], ["e_out"]));
        elseBranch.Output.Add(TinyModels.FloatInfo("e_out", "batch", 3));
        var ifNode = TinyModels.Node("If", ["cond"], ["chosen"], "if");
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch });
        g.Node.Add(ifNode);
        g.Output.Add(TinyModels.FloatInfo("chosen", "batch", 3));
        var model = OnnxModel.FromProto(proto);

        Assert.Equal(0, model.Graph.RemoveUnusedInitializers());
        Assert.True(model.Graph.Initializers.ContainsKey("only_in_branch"));
    }

    [Fact]
    public void Added_and_removed_nodes_update_the_indexes()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var graph = model.Graph;
        Assert.Equal(["relu"], graph.Consumers("mm").Select(n => n.Name)); // builds the index

        var neg = graph.AddNode("Neg", ["mm"], ["neg_out"], "neg", insertAt: 1);
        Assert.Same(neg, graph.Producer("neg_out"));
        Assert.Equal(["neg", "relu"], graph.Consumers("mm").Select(n => n.Name));
        Assert.Equal(1, graph.IndexOf(neg));

        graph.RemoveNode(neg);
        Assert.Null(graph.Producer("neg_out"));
        Assert.Equal(["relu"], graph.Consumers("mm").Select(n => n.Name));
        Assert.Throws<InvalidOperationException>(() => graph.RemoveNode(neg));
    }

    [Fact]
    public void Set_initializer_adds_a_tensor_that_save_writes()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var relu = model.Graph.Nodes.Single(n => n.OpType == "Relu");
        model.Graph.SetInitializer(TensorData.FromFloats("scale", [3], [2f, 2f, 2f]));
        var mul = model.Graph.AddNode("Mul", ["act", "scale"], ["scaled"], "mul", insertAt: model.Graph.IndexOf(relu) + 1);
        model.Graph.SetInput(model.Graph.Nodes.Single(n => n.Name == "add"), 0, "scaled");
        Assert.Same(mul, model.Graph.Producer("scaled"));

        var before = OrtRunner.RunOnce(TinyModels.MatMulReluAdd().ToByteArray(), Inputs());
        var after = OrtRunner.RunOnce(model.ToByteArray(), Inputs());
        // output = 2·relu(x·W) + b, computed independently from the two runs' difference: after - before = relu(x·W).
        var b = TinyModels.MatMulReluAdd().Graph.Initializer.Single(t => t.Name == "b");
        var bias = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b.RawData.Span).ToArray();
        var y0 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(before[0].Bytes).ToArray();
        var y1 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(after[0].Bytes).ToArray();
        for (int i = 0; i < y0.Length; i++)
        {
            float relu0 = y0[i] - bias[i % 3];
            Assert.Equal(2 * relu0 + bias[i % 3], y1[i], 1e-5f);
        }
    }

    [Fact]
    public void Unique_name_avoids_every_name_in_use()
    {
        var graph = OnnxModel.FromProto(TinyModels.MatMulReluAdd()).Graph;
        Assert.Equal("fresh", graph.UniqueName("fresh"));
        foreach (string taken in new[] { "mm", "W", "relu", "input", "output" })
        {
            string name = graph.UniqueName(taken);
            Assert.NotEqual(taken, name);
            Assert.StartsWith(taken, name, StringComparison.Ordinal);
            graph.RenameValue("act", name); // accepted: the name is free
            graph.RenameValue(name, "act");
        }
    }

    [Fact]
    public void Nodes_added_before_and_after_an_anchor_land_next_to_it_and_are_indexed()
    {
        var graph = OnnxModel.FromProto(Chain()).Graph;
        var c = graph.Nodes.Single(n => n.Name == "n_c");
        Assert.Equal(["n_d"], graph.Consumers("c").Select(n => n.Name)); // builds the indexes before the edits
        var before = graph.AddNodeBefore(c, "Identity", ["a"], ["a2"], "before_c");
        var after = graph.AddNodeAfter(c, "Identity", ["c"], ["c2"], "after_c");
        // Many insertions into one gap force the order labels to be spread out again.
        var anchor = after;
        for (int i = 0; i < 100; i++) anchor = graph.AddNodeBefore(anchor, "Identity", ["c"], [$"c_{i}"], $"extra_{i}");

        var names = graph.Nodes.Select(n => n.Name).ToList();
        Assert.Equal(["n_a", "n_b", "before_c", "n_c"], names.Take(4));
        Assert.Equal("extra_99", names[4]);
        Assert.Equal("extra_0", names[103]);
        Assert.Equal(["after_c", "n_d", "n_e", "n_f"], names.Skip(104));
        Assert.Equal(3, graph.IndexOf(c));
        Assert.Same(before, graph.Producer("a2"));
        Assert.Equal(["before_c", "n_c", "n_f"], graph.Consumers("a").Select(n => n.Name)); // inserted before n_c, listed before it
        // Consumers come in graph order, whatever the order of the insertions.
        var readersOfC = graph.Consumers("c").Select(n => names.IndexOf(n.Name)).ToList();
        Assert.Equal(readersOfC.Order(), readersOfC);
        Assert.Equal(102, readersOfC.Count);

        graph.RemoveNode(before);
        Assert.Equal(-1, graph.IndexOf(before));
        Assert.False(graph.Contains(before));
        Assert.Null(graph.Producer("a2"));
        Assert.Equal(["n_c", "n_f"], graph.Consumers("a").Select(n => n.Name));
        Assert.Throws<InvalidOperationException>(() => graph.AddNodeAfter(before, "Identity", ["a"], ["z"]));
    }

    [Fact]
    public void A_consumer_list_held_by_a_caller_stays_unchanged_while_the_graph_is_edited()
    {
        var graph = OnnxModel.FromProto(Chain()).Graph;
        var readers = graph.Consumers("a");
        foreach (var node in readers) graph.SetInput(node, node.Inputs.ToList().IndexOf("a"), "x"); // would throw if the list changed underneath
        Assert.Equal(["n_c", "n_f"], readers.Select(n => n.Name));
        Assert.Empty(graph.Consumers("a"));
        Assert.Equal(["n_a", "n_b", "n_c", "n_f"], graph.Consumers("x").Select(n => n.Name));
    }

    [Fact]
    public void Sorting_an_unordered_graph_keeps_its_indexes_in_graph_order()
    {
        var proto = Chain();
        var reversed = proto.Graph.Node.Reverse().ToList();
        proto.Graph.Node.Clear();
        proto.Graph.Node.AddRange(reversed);
        var graph = OnnxModel.FromProto(proto).Graph;
        Assert.Equal(["n_f", "n_c"], graph.Consumers("a").Select(n => n.Name));
        graph.SortTopologically();
        AssertTopological(graph.Nodes, proto);
        Assert.Equal(["n_c", "n_f"], graph.Consumers("a").Select(n => n.Name));
        Assert.Equal(graph.Nodes, graph.TopologicalOrder());
    }
}
