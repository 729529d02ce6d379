using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Passes.PassTestKit;

namespace Shrink.Tests.Passes;

public class UpgradeOpsetTests
{
    private const double Rtol = 1e-5;

    // input x of the given shape → nodes → the named outputs (shapes left symbolic: ORT checks them anyway).
    private static OnnxModel Chain(long opset, long[] inputShape, string[] outputs, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = "old" };
        g.Input.Add(TinyModels.FloatInfo("x", inputShape.Select(d => (object)d).ToArray()));
        foreach (var o in outputs) g.Output.Add(new ValueInfoProto { Name = o, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TinyModels.Float } } });
        g.Node.AddRange(nodes);
        return BuildModel(g, opset);
    }

    private static OnnxModel Chain(long opset, long[] inputShape, params NodeProto[] nodes) => Chain(opset, inputShape, ["y"], nodes);

    // Upgrades, checks outputs are unchanged and the opset is 13, and returns the result.
    private static GraphPassResult Upgrade(OnnxModel model, long[] shape, float scale = 1f)
    {
        long from = model.OpsetVersion();
        var result = ApplyAndCompare(new UpgradeOpset(13), model, Rtol, RandomInput("x", shape, scale: scale));
        Assert.True(result.Changes > 1, string.Join("; ", result.Details));
        Assert.Equal($"opset {from} → 13", result.Details[0]);
        Assert.Equal(13, model.OpsetVersion());
        return result;
    }

    private static Shrink.Model.Node Op(OnnxModel model, string opType) => Assert.Single(model.Graph.Nodes, n => n.OpType == opType);

    private static long[] Int64Input(OnnxModel model, Shrink.Model.Node node, int index) =>
        model.Graph.Initializers[node.Inputs[index]].AsSpan<long>().ToArray();

    private static float FloatInput(OnnxModel model, Shrink.Model.Node node, int index) =>
        model.Graph.Initializers[node.Inputs[index]].ToFloatArray().Single();

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void Clip_min_and_max_attributes_become_inputs(long opset)
    {
        var model = Chain(opset, [2, 6], Node("Clip", ["x"], ["y"], "clip", Float("min", -0.2f), Float("max", 0.3f)));
        Upgrade(model, [2, 6]);
        var clip = Op(model, "Clip");
        Assert.Empty(clip.Proto.Attribute);
        Assert.Equal(3, clip.Inputs.Count);
        Assert.Equal(-0.2f, FloatInput(model, clip, 1));
        Assert.Equal(0.3f, FloatInput(model, clip, 2));
    }

    [Fact]
    public void Clip_with_only_max_leaves_min_empty()
    {
        var model = Chain(9, [2, 6], Node("Clip", ["x"], ["y"], "clip", Float("max", 0.1f)));
        Upgrade(model, [2, 6]);
        var clip = Op(model, "Clip");
        Assert.Equal("", clip.Inputs[1]);
        Assert.Equal(0.1f, FloatInput(model, clip, 2));
    }

    [Fact]
    public void Clip_bounds_take_the_element_type_of_the_input()
    {
        // x → Cast(double) → Clip → Cast(float): the bounds must be double scalars.
        var model = Chain(9, [2, 6],
            Node("Cast", ["x"], ["xd"], "to_double", Int("to", (long)TensorProto.Types.DataType.Double)),
            Node("Clip", ["xd"], ["cd"], "clip", Float("min", -0.25f), Float("max", 0.5f)),
            Node("Cast", ["cd"], ["y"], "to_float", Int("to", TinyModels.Float)));
        // ONNX Runtime's Clip-6 runs float only, so the result is checked against a clamp computed here.
        new UpgradeOpset().Apply(model);
        var clip = Op(model, "Clip");
        Assert.Equal(Shrink.Model.ElementType.Double, model.Graph.Initializers[clip.Inputs[1]].Type);
        Assert.Equal(Shrink.Model.ElementType.Double, model.Graph.Initializers[clip.Inputs[2]].Type);
        var input = RandomInput("x", [2, 6]);
        var output = Run(model, input).Single();
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(input.RawData.Span).ToArray().Select(v => Math.Clamp(v, -0.25f, 0.5f));
        Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(output.Bytes).ToArray());
    }

    [Fact]
    public void Squeeze_unsqueeze_and_reducesum_axes_become_inputs()
    {
        var model = Chain(11, [3, 4],
            Node("Unsqueeze", ["x"], ["u"], "unsqueeze", Ints("axes", 1)),
            Node("ReduceSum", ["u"], ["r"], "reduce", Ints("axes", 2), Int("keepdims", 1)),
            Node("Squeeze", ["r"], ["y"], "squeeze", Ints("axes", 1, 2)));
        Upgrade(model, [3, 4]);
        Assert.All(model.Graph.Nodes, n => Assert.Null(n.Attribute("axes")));
        Assert.Equal([1L], Int64Input(model, Op(model, "Unsqueeze"), 1));
        Assert.Equal([2L], Int64Input(model, Op(model, "ReduceSum"), 1));
        Assert.Equal([1L, 2L], Int64Input(model, Op(model, "Squeeze"), 1));
        Assert.Equal(1, Op(model, "ReduceSum").GetInt("keepdims", -1));
    }

    [Fact]
    public void ReduceSum_without_keepdims_and_other_reductions_keep_their_attributes()
    {
        var model = Chain(9, [2, 3, 4],
            Node("ReduceSum", ["x"], ["s"], "sum", Ints("axes", 0, 2), Int("keepdims", 0)),
            Node("ReduceMean", ["s"], ["y"], "mean", Ints("axes", 0), Int("keepdims", 1)));
        Upgrade(model, [2, 3, 4]);
        Assert.Equal([0L, 2L], Int64Input(model, Op(model, "ReduceSum"), 1));
        Assert.Equal([0L], Op(model, "ReduceMean").GetInts("axes"));
    }

    [Fact]
    public void Split_sizes_become_an_input()
    {
        var model = Chain(11, [2, 6], ["a", "b"], Node("Split", ["x"], ["a", "b"], "split", Int("axis", 1), Ints("split", 2, 4)));
        Upgrade(model, [2, 6]);
        var split = Op(model, "Split");
        Assert.Null(split.Attribute("split"));
        Assert.Equal([2L, 4L], Int64Input(model, split, 1));
    }

    [Theory]
    [InlineData("constant", 0.5f)]
    [InlineData("constant", 0f)]
    [InlineData("reflect", 0f)]
    [InlineData("edge", 0f)]
    public void Pad_attributes_become_inputs(string mode, float value)
    {
        var model = Chain(9, [3, 4], Node("Pad", ["x"], ["y"], "pad", String("mode", mode), Ints("pads", 0, 1, 2, 2), Float("value", value)));
        Upgrade(model, [3, 4]);
        var pad = Op(model, "Pad");
        Assert.Equal([0L, 1L, 2L, 2L], Int64Input(model, pad, 1));
        Assert.Equal(value != 0 ? 3 : 2, pad.Inputs.Count);
        Assert.Equal(mode, pad.GetString("mode", "?"));
        Assert.Null(pad.Attribute("pads"));
        Assert.Null(pad.Attribute("value"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Slice_opset_9_attributes_become_inputs(bool withAxes)
    {
        var slice = withAxes
            ? Node("Slice", ["x"], ["y"], "slice", Ints("starts", 1, 1), Ints("ends", 3, -1), Ints("axes", 0, 2))
            : Node("Slice", ["x"], ["y"], "slice", Ints("starts", 0, 1, 2), Ints("ends", 2, 1000, -1));
        var model = Chain(9, [3, 4, 5], slice);
        Upgrade(model, [3, 4, 5]);
        var upgraded = Op(model, "Slice");
        Assert.Empty(upgraded.Proto.Attribute);
        Assert.Equal(withAxes ? 4 : 3, upgraded.Inputs.Count);
        if (withAxes) Assert.Equal([0L, 2L], Int64Input(model, upgraded, 3));
    }

    [Fact]
    public void TopK_k_becomes_an_input()
    {
        var model = Chain(9, [3, 5], ["values", "indices"], Node("TopK", ["x"], ["values", "indices"], "topk", Int("k", 2), Int("axis", 1)));
        model.Graph.Proto.Output[1].Type.TensorType.ElemType = TinyModels.Int64;
        Upgrade(model, [3, 5]);
        Assert.Equal([2L], Int64Input(model, Op(model, "TopK"), 1));
    }

    [Theory]
    [InlineData(9, "nearest", new[] { 1f, 1f, 2f, 3f })]
    [InlineData(9, "nearest", new[] { 1f, 1f, 1.5f, 2.5f })]
    [InlineData(9, "linear", new[] { 1f, 1f, 2f, 1.5f })]
    [InlineData(7, "nearest", new[] { 1f, 1f, 2f, 3f })]
    [InlineData(7, "linear", new[] { 1f, 1f, 3f, 2f })]
    public void Upsample_becomes_an_asymmetric_resize(long opset, string mode, float[] scales)
    {
        NodeProto upsample;
        var g = new GraphProto { Name = "upsample" };
        if (opset >= 9)
        {
            g.Initializer.Add(TinyModels.FloatTensor("scales", [4], scales));
            upsample = Node("Upsample", ["x", "scales"], ["y"], "up", String("mode", mode));
        }
        else
        {
            upsample = Node("Upsample", ["x"], ["y"], "up", String("mode", mode), Floats("scales", scales));
        }
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 3, 4));
        g.Output.Add(TinyModels.FloatInfo("y"));
        g.Output[0].Type.TensorType.Shape = null;
        g.Node.Add(upsample);
        var model = BuildModel(g, opset);

        Upgrade(model, [1, 2, 3, 4]);

        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Upsample");
        var resize = Op(model, "Resize");
        Assert.Equal("", resize.Inputs[1]);
        Assert.Equal(scales, model.Graph.Initializers[resize.Inputs[2]].ToFloatArray());
        Assert.Equal("asymmetric", resize.GetString("coordinate_transformation_mode", "?"));
        Assert.Equal(mode, resize.GetString("mode", "?"));
        if (mode == "nearest") Assert.Equal("floor", resize.GetString("nearest_mode", "?"));
    }

    [Theory]
    [InlineData("nearest", new[] { 1f, 1f, 0.6f, 0.6f }, "ceil")]
    [InlineData("nearest", new[] { 1f, 1f, 0.5f, 0.75f }, "ceil")]
    [InlineData("nearest", new[] { 1f, 1f, 1.7f, 2f }, "floor")]
    [InlineData("linear", new[] { 1f, 1f, 0.6f, 1.5f }, null)]
    [InlineData("linear", new[] { 1f, 1f, 2f, 2f }, null)]
    public void Resize_10_keeps_its_coordinate_mapping_and_rounding(string mode, float[] scales, string? rounding)
    {
        var g = new GraphProto { Name = "resize" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 5, 7));
        g.Output.Add(TinyModels.FloatInfo("y"));
        g.Output[0].Type.TensorType.Shape = null;
        g.Initializer.Add(TinyModels.FloatTensor("scales", [4], scales));
        g.Node.Add(Node("Resize", ["x", "scales"], ["y"], "resize", String("mode", mode)));
        var model = BuildModel(g, 10);

        Upgrade(model, [1, 2, 5, 7]);

        var resize = Op(model, "Resize");
        Assert.Equal(["x", "", "scales"], resize.Inputs);
        Assert.Equal("asymmetric", resize.GetString("coordinate_transformation_mode", "?"));
        Assert.Equal(rounding ?? "(none)", resize.GetString("nearest_mode", "(none)"));
    }

    [Fact]
    public void Dropout_becomes_identity()
    {
        var model = Chain(10, [2, 3], Node("Dropout", ["x"], ["y"], "dropout", Float("ratio", 0.5f)));
        Upgrade(model, [2, 3]);
        var identity = Op(model, "Identity");
        Assert.Equal("dropout", identity.Name);
        Assert.Empty(identity.Proto.Attribute);
    }

    [Fact]
    public void Dropout_with_a_read_mask_is_refused()
    {
        // Before 12 the inference mask is unspecified (ONNX Runtime: all false; opset 13: all true).
        var model = Chain(10, [2, 3], ["y", "mask"], Node("Dropout", ["x"], ["y", "mask"], "dropout", Float("ratio", 0.3f)));
        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset().Apply(model));
        Assert.Contains("'dropout' (Dropout)", e.Message, StringComparison.Ordinal);
        Assert.Contains("mask", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Softmax_keeps_its_pre_13_meaning_on_rank_3_input()
    {
        // Before 13, axis=1 on [2,3,4] normalizes over the last two axes together; from 13 over axis 1 alone.
        var model = Chain(11, [2, 3, 4], Node("Softmax", ["x"], ["y"], "softmax", Int("axis", 1)));
        var result = Upgrade(model, [2, 3, 4], scale: 3f);
        Assert.Equal(["Shape", "Flatten", "Softmax", "Reshape"], model.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(1, Op(model, "Flatten").GetInt("axis", -9));
        Assert.Equal(1, Op(model, "Softmax").GetInt("axis", -9));
        Assert.Equal("y", Op(model, "Reshape").Outputs[0]);
        Assert.Contains(result.Details, d => d.Contains("Flatten", StringComparison.Ordinal));

        // And the rewrite is needed: the same node read at opset 13 normalizes differently.
        var input = RandomInput("x", [2, 3, 4], scale: 3f);
        var naive = Run(Chain(13, [2, 3, 4], Node("Softmax", ["x"], ["y"], "softmax", Int("axis", 1))), input);
        var expected = Run(model, input);
        Assert.ThrowsAny<Exception>(() => AssertSameOutputs(expected, naive, Rtol));
    }

    [Fact]
    public void Softmax_family_on_the_last_axis_is_kept()
    {
        var model = Chain(11, [2, 3, 4],
            Node("LogSoftmax", ["x"], ["a"], "logsoftmax", Int("axis", 2)),
            Node("Softmax", ["a"], ["y"], "softmax", Int("axis", -1)));
        var before = Run(model, RandomInput("x", [2, 3, 4]));
        var result = new UpgradeOpset().Apply(model);
        AssertSameOutputs(before, Run(model, RandomInput("x", [2, 3, 4])), Rtol);
        Assert.Equal(["LogSoftmax", "Softmax"], model.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(2, Op(model, "LogSoftmax").GetInt("axis", -9));
        Assert.Single(result.Details); // only the opset line
    }

    [Fact]
    public void Softmax_with_default_axis_on_rank_2_input_writes_the_axis()
    {
        var model = Chain(9, [3, 5], Node("Softmax", ["x"], ["y"], "softmax"));
        Upgrade(model, [3, 5]);
        Assert.Equal(1, Op(model, "Softmax").GetInt("axis", -9));
        Assert.Single(model.Graph.Nodes);
    }

    [Fact]
    public void Hardmax_of_unknown_rank_with_default_axis_is_flattened()
    {
        // The Relu output has no declared shape, so the rank is unknown and the exact rewrite is used.
        var model = Chain(9, [2, 3, 4],
            Node("Relu", ["x"], ["r"], "relu"),
            Node("Hardmax", ["r"], ["y"], "hardmax"));
        Upgrade(model, [2, 3, 4]);
        Assert.Equal(["Relu", "Shape", "Flatten", "Hardmax", "Reshape"], model.Graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Scatter_becomes_scatter_elements()
    {
        var g = new GraphProto { Name = "scatter" };
        g.Input.Add(TinyModels.FloatInfo("x", 3, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 3, 3));
        g.Initializer.Add(Int64Tensor("indices", [2, 3], 1, 0, 2, 0, 2, 1));
        g.Initializer.Add(TinyModels.FloatTensor("updates", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]));
        g.Node.Add(Node("Scatter", ["x", "indices", "updates"], ["y"], "scatter", Int("axis", 0)));
        var model = BuildModel(g, 10);
        Upgrade(model, [3, 3]);
        Assert.Equal(0, Op(model, "ScatterElements").GetInt("axis", -1));
    }

    [Fact]
    public void Subgraphs_are_upgraded_too()
    {
        // If(x.max > 0) then Unsqueeze(x, axes=[0]) else Unsqueeze(-x, axes=[0]), at opset 11.
        static GraphProto Branch(string name, bool negate)
        {
            var b = new GraphProto { Name = name };
            string source = "x";
            if (negate)
            {
                b.Node.Add(TinyModels.Node("Neg", ["x"], [name + "_neg"], name + "_neg"));
                source = name + "_neg";
            }
            b.Node.Add(Node("Unsqueeze", [source], [name + "_out"], name + "_unsqueeze", Ints("axes", 0)));
            b.Output.Add(TinyModels.FloatInfo(name + "_out", 1, 2, 3));
            return b;
        }
        var g = new GraphProto { Name = "if" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 1, 2, 3));
        g.Initializer.Add(TinyModels.FloatTensor("zero", [], [0f]));
        g.Node.Add(Node("ReduceMax", ["x"], ["m"], "max", Int("keepdims", 0)));
        g.Node.Add(Node("Greater", ["m", "zero"], ["cond"], "positive"));
        g.Node.Add(Node("If", ["cond"], ["y"], "if", GraphAttribute("then_branch", Branch("then", false)), GraphAttribute("else_branch", Branch("else", true))));
        var model = BuildModel(g, 11);

        foreach (int seed in new[] { 1, 2, 3, 4 })
        {
            var copy = model.Clone();
            var input = RandomInput("x", [2, 3], seed, scale: seed % 2 == 0 ? 1f : -1f);
            var before = Run(copy, input);
            new UpgradeOpset().Apply(copy);
            AssertSameOutputs(before, Run(copy, input), Rtol);
        }

        var result = new UpgradeOpset().Apply(model);
        Assert.Equal(3, result.Changes);
        var ifNode = Op(model, "If");
        foreach (var branch in ifNode.Proto.Attribute.Select(a => a.G))
        {
            var unsqueeze = branch.Node.Single(n => n.OpType == "Unsqueeze");
            Assert.Empty(unsqueeze.Attribute);
            Assert.Equal(2, unsqueeze.Input.Count);
            Assert.Contains(branch.Initializer, t => t.Name == unsqueeze.Input[1]);
        }
    }

    [Fact]
    public void Unknown_ops_are_refused_with_their_names_and_the_model_is_unchanged()
    {
        var model = Chain(11, [2, 3],
            Node("Clip", ["x"], ["c"], "clip", Float("min", 0f)),
            TinyModels.Node("FancyOp", ["c"], ["f"], "mystery"),
            TinyModels.Node("ImageScaler", ["f"], ["y"], "scaler"));
        byte[] original = model.ToByteArray();

        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset(13).Apply(model));

        Assert.Contains("'mystery' (FancyOp", e.Message, StringComparison.Ordinal);
        Assert.Contains("'scaler' (ImageScaler", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'clip'", e.Message, StringComparison.Ordinal);
        Assert.Equal(original, model.ToByteArray());
        Assert.Equal(11, model.OpsetVersion());
    }

    [Fact]
    public void Nodes_without_a_faithful_upgrade_are_refused()
    {
        var g = new GraphProto { Name = "resize" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 1, 4, 4));
        g.Input.Add(TinyModels.FloatInfo("s", 4));
        g.Output.Add(TinyModels.FloatInfo("y1"));
        g.Output.Add(TinyModels.FloatInfo("y2"));
        g.Initializer.Add(TinyModels.FloatTensor("mixed", [4], [1f, 1f, 0.5f, 2f]));
        g.Node.Add(Node("Resize", ["x", "mixed"], ["y1"], "mixed_directions", String("mode", "nearest")));
        g.Node.Add(Node("Resize", ["x", "s"], ["y2"], "computed_scales", String("mode", "nearest")));
        var model = BuildModel(g, 10);

        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset().Apply(model));

        Assert.Contains("'mixed_directions' (Resize)", e.Message, StringComparison.Ordinal);
        Assert.Contains("'computed_scales' (Resize)", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, model.OpsetVersion());
    }

    [Fact]
    public void Opset_8_scan_and_opset_6_models_are_refused()
    {
        var body = new GraphProto { Name = "body" };
        var model = Chain(8, [2, 3], Node("Scan", ["", "x"], ["y"], "scan", GraphAttribute("body", body), Int("num_scan_inputs", 1)));
        var e = Assert.Throws<ShrinkException>(() => new UpgradeOpset().Apply(model));
        Assert.Contains("'scan' (Scan)", e.Message, StringComparison.Ordinal);

        var old = Chain(6, [2, 3], TinyModels.Node("Relu", ["x"], ["y"], "relu"));
        e = Assert.Throws<ShrinkException>(() => new UpgradeOpset().Apply(old));
        Assert.Contains("opset 6", e.Message, StringComparison.Ordinal);
        Assert.Equal(6, old.OpsetVersion());
    }

    [Fact]
    public void Models_at_the_target_are_untouched()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        byte[] original = model.ToByteArray();
        Assert.Equal(0, new UpgradeOpset(13).Apply(model).Changes);
        Assert.Equal(original, model.ToByteArray());
    }

    [Fact]
    public void Targets_below_13_are_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpgradeOpset(12));

    [Fact]
    public void Ir_version_is_raised_with_the_opset()
    {
        var g = new GraphProto { Name = "ir" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 2, 3));
        g.Node.Add(TinyModels.Node("Relu", ["x"], ["y"], "relu"));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g, 9, irVersion: 4));
        new UpgradeOpset().Apply(model);
        Assert.Equal(7, model.Proto.IrVersion);
        Assert.Equal(13, model.OpsetVersion());
    }

    [Fact]
    public void Models_without_default_domain_nodes_just_get_the_new_import()
    {
        var g = new GraphProto { Name = "ml" };
        g.Input.Add(TinyModels.FloatInfo("x", 2, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 2, 3));
        g.Node.Add(new NodeProto { OpType = "Normalizer", Domain = "ai.onnx.ml", Name = "norm", Input = { "x" }, Output = { "y" } });
        var proto = TinyModels.BuildModel(g, 9);
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 1 });
        var model = OnnxModel.FromProto(proto);

        var result = new UpgradeOpset().Apply(model);

        Assert.Equal(1, result.Changes);
        Assert.Equal(13, model.OpsetVersion());
        Assert.Equal(1, model.OpsetVersion("ai.onnx.ml"));
    }
}
