using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Passes.PassTestKit;

namespace Shrink.Tests.Passes;

/// <summary><see cref="UpgradeOpset"/> with targets past 13, up to 21 (what blocked int4 DequantizeLinear needs).</summary>
public class UpgradeOpsetTo21Tests
{
    private const double Rtol = 1e-6;

    private static ValueInfoProto Output(string name, int type = TinyModels.Float) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type } } };

    // Float input x of the given shape → nodes → the named float outputs (shapes left for ONNX Runtime to check).
    private static OnnxModel Graph(long opset, long[] inputShape, string[] outputs, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TinyModels.FloatInfo("x", inputShape.Select(d => (object)d).ToArray()));
        foreach (var o in outputs) g.Output.Add(Output(o));
        g.Node.AddRange(nodes);
        return BuildModel(g, opset);
    }

    // Upgrades to the target, checks the outputs are unchanged, the opset and the IR version; returns the result.
    private static GraphPassResult Upgrade(OnnxModel model, long[] shape, int target = 21, float scale = 1f)
    {
        long from = model.OpsetVersion();
        var result = ApplyAndCompare(new UpgradeOpset(target), model, Rtol, RandomInput("x", shape, scale: scale));
        Assert.Equal($"opset {from} → {target}", result.Details[0]);
        Assert.Equal(target, model.OpsetVersion());
        Assert.Equal(UpgradeOpset.IrVersionFor(target), model.Proto.IrVersion);
        return result;
    }

    private static Shrink.Model.Node Op(OnnxModel model, string name) => Assert.Single(model.Graph.Nodes, n => n.Name == name);

    private static long[] Int64Input(OnnxModel model, Shrink.Model.Node node, int index) =>
        model.Graph.Initializers[node.Inputs[index]].AsSpan<long>().ToArray();

    [Fact]
    public void Reduction_axes_attributes_become_inputs_at_18()
    {
        var model = Graph(13, [2, 3, 4], ["mean", "max", "min", "l1", "l2", "logsum", "logsumexp", "prod", "sumsquare", "sum"],
            Node("ReduceMean", ["x"], ["mean"], "mean", Ints("axes", -1)),
            Node("ReduceMax", ["x"], ["max"], "max", Int("keepdims", 0)),
            Node("ReduceMin", ["x"], ["min"], "min", Ints("axes", 0, 2), Int("keepdims", 0)),
            Node("ReduceL1", ["x"], ["l1"], "l1", Ints("axes", 1)),
            Node("ReduceL2", ["x"], ["l2"], "l2", Ints("axes", 0, 1, 2), Int("keepdims", 0)),
            TinyModels.Node("Abs", ["x"], ["abs"], "abs"),
            Node("ReduceLogSum", ["abs"], ["logsum"], "logsum", Ints("axes", 2)),
            Node("ReduceLogSumExp", ["x"], ["logsumexp"], "logsumexp", Ints("axes", 1), Int("keepdims", 0)),
            Node("ReduceProd", ["x"], ["prod"], "prod", Ints("axes")), // empty: every axis
            Node("ReduceSumSquare", ["x"], ["sumsquare"], "sumsquare"),
            Node("ReduceSum", ["x"], ["sum"], "sum", Int("keepdims", 0)));

        var result = Upgrade(model, [2, 3, 4]);

        Assert.All(model.Graph.Nodes, n => Assert.Null(n.Attribute("axes")));
        Assert.Equal([-1L], Int64Input(model, Op(model, "mean"), 1));
        Assert.Equal([0L, 2L], Int64Input(model, Op(model, "min"), 1));
        Assert.Equal([1L], Int64Input(model, Op(model, "l1"), 1));
        Assert.Equal([0L, 1L, 2L], Int64Input(model, Op(model, "l2"), 1));
        Assert.Equal([2L], Int64Input(model, Op(model, "logsum"), 1));
        Assert.Equal([1L], Int64Input(model, Op(model, "logsumexp"), 1));
        foreach (var all in new[] { "max", "prod", "sumsquare", "sum" }) Assert.Single(Op(model, all).Inputs);
        Assert.Equal(0, Op(model, "max").GetInt("keepdims", -1));
        Assert.Equal(0, Op(model, "logsumexp").GetInt("keepdims", -1));
        Assert.All(model.Graph.Nodes, n => Assert.Null(n.Attribute("noop_with_empty_axes")));
        Assert.Contains(result.Details, d => d.StartsWith("prod (ReduceProd): empty axes attribute dropped", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(17)]
    public void Reductions_keep_their_attribute_below_target_18(int target)
    {
        var model = Graph(13, [2, 3, 4], ["y"], Node("ReduceMean", ["x"], ["y"], "mean", Ints("axes", 1)));
        var result = Upgrade(model, [2, 3, 4], target);
        Assert.Equal([1L], Op(model, "mean").GetInts("axes"));
        Assert.Single(result.Details);
    }

    [Theory]
    [InlineData(13, false)]
    [InlineData(11, false)]
    [InlineData(11, true)]
    [InlineData(17, true)]
    public void Split_without_sizes_gets_num_outputs_at_18(long opset, bool sized)
    {
        var g = new GraphProto { Name = "split" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 6));
        foreach (var o in new[] { "a", "b", "c" }) g.Output.Add(Output(o));
        if (!sized)
        {
            g.Node.Add(Node("Split", ["x"], ["a", "b", "c"], "split", Int("axis", 1)));
        }
        else if (opset < 13)
        {
            g.Node.Add(Node("Split", ["x"], ["a", "b", "c"], "split", Int("axis", 1), Ints("split", 1, 2, 3)));
        }
        else
        {
            g.Initializer.Add(Int64Tensor("sizes", [3], 1, 2, 3));
            g.Node.Add(Node("Split", ["x", "sizes"], ["a", "b", "c"], "split", Int("axis", 1)));
        }
        var model = BuildModel(g, opset);

        Upgrade(model, [2, 6]);

        var upgraded = Op(model, "split");
        Assert.Null(upgraded.Attribute("split"));
        if (sized)
        {
            Assert.Equal([1L, 2L, 3L], Int64Input(model, upgraded, 1));
            Assert.Null(upgraded.Attribute("num_outputs"));
        }
        else
        {
            Assert.Single(upgraded.Inputs);
            Assert.Equal(3, upgraded.GetInt("num_outputs", -1));
        }
    }

    [Fact]
    public void Opset_11_model_gets_both_the_13_and_the_18_rewrites()
    {
        // Softmax over axis 1 of a rank-3 input (flattened before 13) and ReduceMean axes (attribute before 18).
        var model = Graph(11, [2, 3, 4], ["y"],
            Node("Softmax", ["x"], ["s"], "softmax", Int("axis", 1)),
            Node("ReduceMean", ["s"], ["m"], "mean", Ints("axes", 2)),
            Node("Unsqueeze", ["m"], ["y"], "unsqueeze", Ints("axes", 0)));
        Upgrade(model, [2, 3, 4], scale: 3f);
        Assert.Equal(["Shape", "Flatten", "Softmax", "Reshape", "ReduceMean", "Unsqueeze"], model.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal([2L], Int64Input(model, Op(model, "mean"), 1));
        Assert.Equal([0L], Int64Input(model, Op(model, "unsqueeze"), 1));
    }

    private static OnnxModel RoiAlignModel(long opset)
    {
        var g = new GraphProto { Name = "roialign" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 6, 6));
        g.Output.Add(Output("y"));
        g.Initializer.Add(TinyModels.FloatTensor("rois", [2, 4], [0.3f, 0.2f, 4.1f, 3.6f, 1f, 1.5f, 5.2f, 5.9f]));
        g.Initializer.Add(Int64Tensor("batch", [2], 0, 0));
        g.Node.Add(Node("RoiAlign", ["x", "rois", "batch"], ["y"], "roialign", Int("output_height", 3), Int("output_width", 2), Int("sampling_ratio", 2)));
        return BuildModel(g, opset);
    }

    [Fact]
    public void RoiAlign_keeps_its_old_default_coordinate_mode()
    {
        var model = RoiAlignModel(13);
        Upgrade(model, [1, 2, 6, 6]);
        Assert.Equal("output_half_pixel", Op(model, "roialign").GetString("coordinate_transformation_mode", "?"));

        // The rewrite is needed: the same node read at opset 16 uses half_pixel.
        var input = RandomInput("x", [1, 2, 6, 6]);
        Assert.ThrowsAny<Exception>(() => AssertSameOutputs(Run(RoiAlignModel(13), input), Run(RoiAlignModel(16), input), Rtol));
    }

    [Theory]
    [InlineData("bilinear", "linear")]
    [InlineData("bicubic", "cubic")]
    [InlineData("nearest", "nearest")]
    [InlineData(null, null)]
    public void GridSample_modes_are_renamed_at_20(string? mode, string? renamed)
    {
        var g = new GraphProto { Name = "gridsample" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 4, 5));
        g.Output.Add(Output("y"));
        var grid = TinyModels.RandomFloats(1 * 3 * 3 * 2, 7).Select(v => v * 1.1f).ToArray();
        g.Initializer.Add(TinyModels.FloatTensor("grid", [1, 3, 3, 2], grid));
        var node = Node("GridSample", ["x", "grid"], ["y"], "gridsample", Int("align_corners", 0));
        if (mode is not null) node.Attribute.Add(String("mode", mode));
        g.Node.Add(node);
        var model = BuildModel(g, 16);

        Upgrade(model, [1, 2, 4, 5]);

        Assert.Equal(renamed ?? "(default)", Op(model, "gridsample").GetString("mode", "(default)"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(-2L)]
    public void DFT_axis_becomes_an_input_at_20(long? axis)
    {
        // A real signal [batch, 4, 6, 1]: the default axis 1 differs from opset 20's default of -2.
        var attributes = axis is long a ? new[] { Int("axis", a) } : [];
        var model = Graph(17, [2, 4, 6, 1], ["y"], Node("DFT", ["x"], ["y"], "dft", attributes));

        var result = Upgrade(model, [2, 4, 6, 1]);

        var dft = Op(model, "dft");
        Assert.Null(dft.Attribute("axis"));
        Assert.Equal(["x", "", dft.Inputs[2]], dft.Inputs);
        Assert.Equal([axis ?? 1L], Int64Input(model, dft, 2));
        Assert.Empty(model.Graph.Initializers[dft.Inputs[2]].Dims);
        Assert.Equal(2, result.Details.Count);
    }

    [Fact]
    public void Ops_added_after_13_are_accepted_where_the_opset_has_them()
    {
        // LayerNormalization (17), Mish (18), HardSwish (14) and Trilu (14) in an opset-18 model.
        var g = new GraphProto { Name = "new_ops" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3, 4));
        g.Output.Add(Output("y"));
        g.Initializer.Add(TinyModels.FloatTensor("gamma", [4], [1f, 0.5f, 2f, -1f]));
        g.Initializer.Add(TinyModels.FloatTensor("beta", [4], [0f, 0.1f, -0.2f, 0.3f]));
        g.Node.Add(Node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], "ln", Int("axis", -1), Float("epsilon", 1e-5f)));
        g.Node.Add(TinyModels.Node("Mish", ["ln"], ["mish"], "mish"));
        g.Node.Add(TinyModels.Node("HardSwish", ["mish"], ["hs"], "hardswish"));
        g.Node.Add(Node("Trilu", ["hs"], ["tri"], "trilu", Int("upper", 1)));
        g.Initializer.Add(Int64Tensor("axes", [1], 1));
        g.Node.Add(TinyModels.Node("ReduceMean", ["tri", "axes"], ["y"], "mean")); // opset 18: axes is an input
        var model = BuildModel(g, 18);

        var result = Upgrade(model, [2, 3, 4]);

        Assert.Single(result.Details); // nothing to rewrite from 18 for these
    }

    [Fact]
    public void Layer_normalization_at_17_upgrades_to_21()
    {
        var g = new GraphProto { Name = "ln" };
        g.Input.Add(TinyModels.FloatInfo("x", 3, 8));
        g.Output.Add(Output("y"));
        g.Initializer.Add(TinyModels.FloatTensor("gamma", [8], TinyModels.RandomFloats(8, 5)));
        g.Node.Add(Node("LayerNormalization", ["x", "gamma"], ["y"], "ln"));
        var model = BuildModel(g, 17);
        Upgrade(model, [3, 8]);
    }

    [Fact]
    public void Ops_newer_than_the_model_and_group_normalization_are_refused_by_name()
    {
        // Gelu is an opset-20 op in an opset-13 model; GroupNormalization changed its scale/bias at 21.
        var g = new GraphProto { Name = "refused" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 4, 3, 3));
        g.Output.Add(Output("y"));
        g.Initializer.Add(TinyModels.FloatTensor("scale", [2], [1f, 2f]));
        g.Initializer.Add(TinyModels.FloatTensor("bias", [2], [0f, 1f]));
        g.Node.Add(Node("GroupNormalization", ["x", "scale", "bias"], ["gn"], "groupnorm", Int("num_groups", 2)));
        g.Node.Add(TinyModels.Node("LayerNormalization", ["gn"], ["y"], "layernorm"));
        var model = BuildModel(g, 18);
        byte[] original = model.ToByteArray();

        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset(21).Apply(model));
        Assert.Contains("'groupnorm' (GroupNormalization)", e.Message, StringComparison.Ordinal);
        Assert.Contains("per channel", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'layernorm'", e.Message, StringComparison.Ordinal);
        Assert.Equal(original, model.ToByteArray());

        // Below 21 GroupNormalization did not change.
        Assert.Equal(1, new UpgradeOpset(20).Apply(model).Changes);
        Assert.Equal(20, model.OpsetVersion());

        var old = Graph(13, [2, 3], ["y"], TinyModels.Node("Gelu", ["x"], ["y"], "gelu"));
        e = Assert.Throws<ShrinkException>(() => new UpgradeOpset(21).Apply(old));
        Assert.Contains("'gelu' (Gelu): Gelu was added at opset 20", e.Message, StringComparison.Ordinal);
        Assert.Equal(13, old.OpsetVersion());
    }

    [Fact]
    public void Batch_normalization_with_training_outputs_is_refused_from_14()
    {
        var g = new GraphProto { Name = "bn" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3, 4));
        g.Output.Add(Output("y"));
        g.Output.Add(Output("mean"));
        foreach (var name in new[] { "scale", "b", "m", "v" })
            g.Initializer.Add(TinyModels.FloatTensor(name, [3], [1f, 0.5f, 2f]));
        g.Node.Add(Node("BatchNormalization", ["x", "scale", "b", "m", "v"], ["y", "mean"], "bn"));
        var model = BuildModel(g, 12);

        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset(14).Apply(model));
        Assert.Contains("'bn' (BatchNormalization)", e.Message, StringComparison.Ordinal);
        Assert.Equal(12, model.OpsetVersion());
        new UpgradeOpset(13).Apply(model); // unchanged meaning up to 13
        Assert.Equal(13, model.OpsetVersion());
    }

    [Fact]
    public void Subgraph_reductions_are_upgraded_too()
    {
        var body = new GraphProto { Name = "then" };
        body.Node.Add(Node("ReduceMax", ["x"], ["then_out"], "inner_max", Ints("axes", 1), Int("keepdims", 0)));
        body.Output.Add(Output("then_out"));
        var other = new GraphProto { Name = "else" };
        other.Node.Add(Node("ReduceMin", ["x"], ["else_out"], "inner_min", Ints("axes", 0), Int("keepdims", 0)));
        other.Output.Add(Output("else_out"));
        var g = new GraphProto { Name = "if" };
        g.Input.Add(TinyModels.FloatInfo("x", 3, 3));
        g.Output.Add(Output("y"));
        g.Initializer.Add(TinyModels.FloatTensor("zero", [], [0f]));
        g.Node.Add(Node("ReduceSum", ["x"], ["s"], "sum", Int("keepdims", 0)));
        g.Node.Add(TinyModels.Node("Greater", ["s", "zero"], ["cond"], "positive"));
        g.Node.Add(Node("If", ["cond"], ["y"], "if", GraphAttribute("then_branch", body), GraphAttribute("else_branch", other)));
        var model = BuildModel(g, 13);

        foreach (var scale in new[] { 1f, -1f })
        {
            var copy = model.Clone();
            Upgrade(copy, [3, 3], scale: scale);
        }
        new UpgradeOpset(21).Apply(model);
        foreach (var branch in Op(model, "if").Proto.Attribute.Select(a => a.G))
        {
            var reduce = Assert.Single(branch.Node);
            Assert.DoesNotContain(reduce.Attribute, a => a.Name == "axes");
            Assert.Contains(branch.Initializer, t => t.Name == reduce.Input[1]);
        }
    }

    [Theory]
    [InlineData(13, 7)]
    [InlineData(14, 7)]
    [InlineData(15, 8)]
    [InlineData(18, 8)]
    [InlineData(19, 9)]
    [InlineData(20, 9)]
    [InlineData(21, 10)]
    public void Ir_version_follows_the_target(int target, long ir)
    {
        var g = new GraphProto { Name = "ir" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 2, 3));
        g.Node.Add(TinyModels.Node("Relu", ["x"], ["y"], "relu"));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g, 9, irVersion: 4));
        new UpgradeOpset(target).Apply(model);
        Assert.Equal(ir, model.Proto.IrVersion);
        Assert.Equal(target, model.OpsetVersion());
    }

    [Theory]
    [InlineData(12)]
    [InlineData(22)]
    [InlineData(0)]
    public void Targets_outside_13_to_21_are_rejected(int target) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpgradeOpset(target));

    [Fact]
    public void Default_target_is_still_13() => Assert.Equal(13, new UpgradeOpset().Target);

    [Fact]
    public void Models_at_or_past_the_target_are_untouched()
    {
        var model = Graph(21, [2, 3], ["y"], Node("ReduceMean", ["x"], ["y"], "mean"));
        byte[] original = model.ToByteArray();
        Assert.Equal(0, new UpgradeOpset(21).Apply(model).Changes);
        var older = Graph(17, [2, 3], ["y"], Node("ReduceMean", ["x"], ["y"], "mean", Ints("axes", 1)));
        Assert.Equal(0, new UpgradeOpset(15).Apply(older).Changes);
        Assert.Equal(original, model.ToByteArray());
        Assert.Equal(17, older.OpsetVersion());
    }

    [SharedFact]
    public void Vit_tiny_upgrades_to_21_with_identical_outputs()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "vit_tiny.onnx"));
        Assert.Equal(13, model.OpsetVersion());
        var input = RandomInput("input", [8, 1, 28, 28], seed: 11, scale: 2f);
        var before = Run(model, input);

        var result = new UpgradeOpset(21).Apply(model);

        Assert.Equal(21, model.OpsetVersion());
        Assert.Equal(10, model.Proto.IrVersion);
        Assert.Contains(result.Details, d => d.Contains("(ReduceMean): axes attribute → input", StringComparison.Ordinal));
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType.StartsWith("Reduce", StringComparison.Ordinal) && n.Attribute("axes") is not null);
        AssertSameOutputs(before, Run(model, input), rtol: 0);
    }
}
