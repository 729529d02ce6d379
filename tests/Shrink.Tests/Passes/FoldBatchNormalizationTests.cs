using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Passes.PassTestKit;
using ElementType = Shrink.Model.ElementType;

namespace Shrink.Tests.Passes;

public class FoldBatchNormalizationTests
{
    private const double Rtol = 1e-5;

    // BN parameters with a negative scale and a small variance, so a wrong channel mapping shows.
    private static void AddBnParameters(GraphProto g, int channels, string prefix = "")
    {
        var gamma = TinyModels.RandomFloats(channels, 11).Select(v => v * 2f).ToArray();
        gamma[0] = -1.5f;
        g.Initializer.Add(TinyModels.FloatTensor(prefix + "gamma", [channels], gamma));
        g.Initializer.Add(TinyModels.FloatTensor(prefix + "beta", [channels], TinyModels.RandomFloats(channels, 12)));
        g.Initializer.Add(TinyModels.FloatTensor(prefix + "mean", [channels], TinyModels.RandomFloats(channels, 13)));
        g.Initializer.Add(TinyModels.FloatTensor(prefix + "var", [channels], TinyModels.RandomFloats(channels, 14).Select(v => 0.05f + v * v * 2f).ToArray()));
    }

    private static NodeProto Bn(string input, string output, string name = "bn", string prefix = "") =>
        Node("BatchNormalization", [input, prefix + "gamma", prefix + "beta", prefix + "mean", prefix + "var"], [output], name, Float("epsilon", 1e-3f));

    private static OnnxModel ConvBn(bool convBias, bool extraReader = false)
    {
        var g = new GraphProto { Name = "convbn" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 2, 5, 5));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 3, 3, 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 2, 3, 3], TinyModels.RandomFloats(54, 1)));
        if (convBias) g.Initializer.Add(TinyModels.FloatTensor("b", [3], TinyModels.RandomFloats(3, 2)));
        AddBnParameters(g, 3);
        g.Node.Add(TinyModels.Node("Conv", convBias ? ["x", "w", "b"] : ["x", "w"], ["c"], "conv"));
        g.Node.Add(Bn("c", "y"));
        g.ValueInfo.Add(TinyModels.FloatInfo("c", "batch", 3, 3, 3));
        if (extraReader)
        {
            g.Output.Add(TinyModels.FloatInfo("r", "batch", 3, 3, 3));
            g.Node.Add(TinyModels.Node("Relu", ["c"], ["r"], "relu"));
        }
        return BuildModel(g, 13);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv_then_bn_folds_and_keeps_outputs(bool convBias)
    {
        var model = ConvBn(convBias);
        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("x", [2, 2, 5, 5]));

        Assert.Equal(1, result.Changes);
        Assert.Contains(result.Details, d => d.StartsWith("folded bn into conv", StringComparison.Ordinal));
        var graph = model.Graph;
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "BatchNormalization");
        var conv = Assert.Single(graph.Nodes);
        Assert.Equal("y", conv.Outputs[0]); // the graph output keeps its name
        Assert.Equal(3, conv.Inputs.Count);
        Assert.Equal("w", conv.Inputs[1]); // read by the conv alone: changed in place
        // gamma, beta, mean and var are gone; only the weight and the (new or updated) bias remain.
        Assert.Equal(new[] { "w", conv.Inputs[2] }.Order(StringComparer.Ordinal), graph.Initializers.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(graph.Proto.ValueInfo, v => v.Name == "c");
    }

    [Fact]
    public void Conv_output_read_elsewhere_is_not_folded()
    {
        var model = ConvBn(true, extraReader: true);
        byte[] original = model.ToByteArray();
        var result = new FoldBatchNormalization().Apply(model);

        Assert.Equal(0, result.Changes);
        var detail = Assert.Single(result.Details);
        Assert.Contains("kept bn", detail, StringComparison.Ordinal);
        Assert.Contains("other readers", detail, StringComparison.Ordinal);
        Assert.Equal(original, model.ToByteArray());
    }

    [Theory]
    [InlineData(1, "vector")]
    [InlineData(0, "vector")]
    [InlineData(1, "row")]
    [InlineData(0, "scalar")]
    [InlineData(0, "none")]
    public void Gemm_then_bn_folds_for_both_weight_layouts(int transB, string bias)
    {
        var g = new GraphProto { Name = "gemmbn" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 4));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", transB == 1 ? [3, 4] : [4, 3], TinyModels.RandomFloats(12, 1)));
        var gemmInputs = new List<string> { "x", "w" };
        switch (bias)
        {
            case "vector": g.Initializer.Add(TinyModels.FloatTensor("b", [3], TinyModels.RandomFloats(3, 2))); gemmInputs.Add("b"); break;
            case "row": g.Initializer.Add(TinyModels.FloatTensor("b", [1, 3], TinyModels.RandomFloats(3, 2))); gemmInputs.Add("b"); break;
            case "scalar": g.Initializer.Add(TinyModels.FloatTensor("b", [], [0.7f])); gemmInputs.Add("b"); break;
        }
        AddBnParameters(g, 3);
        var gemm = Node("Gemm", [.. gemmInputs], ["c"], "gemm", Int("transB", transB), Float("alpha", 1.25f));
        if (bias != "none") gemm.Attribute.Add(Float("beta", 0.5f));
        g.Node.Add(gemm);
        g.Node.Add(Bn("c", "y"));
        var model = BuildModel(g, 13);

        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("x", [5, 4]));

        Assert.Equal(1, result.Changes);
        var folded = Assert.Single(model.Graph.Nodes);
        Assert.Equal("Gemm", folded.OpType);
        Assert.Equal(3, folded.Inputs.Count);
        Assert.Equal(1f, folded.GetFloat("beta", 1f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConvTranspose_with_groups_then_bn_folds(bool withBias)
    {
        // 4 input channels in 2 groups, 3 output channels per group: weight [4, 3, 2, 2], 6 output channels.
        var g = new GraphProto { Name = "deconvbn" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 4, 3, 3));
        g.Output.Add(TinyModels.FloatInfo("y", 1, 6, 6, 6));
        g.Initializer.Add(TinyModels.FloatTensor("w", [4, 3, 2, 2], TinyModels.RandomFloats(48, 1)));
        if (withBias) g.Initializer.Add(TinyModels.FloatTensor("b", [6], TinyModels.RandomFloats(6, 2)));
        AddBnParameters(g, 6);
        g.Node.Add(Node("ConvTranspose", withBias ? ["x", "w", "b"] : ["x", "w"], ["c"], "deconv", Int("group", 2), Ints("strides", 2, 2)));
        g.Node.Add(Bn("c", "y"));
        var model = BuildModel(g, 13);

        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("x", [1, 4, 3, 3]));

        Assert.Equal(1, result.Changes);
        Assert.Equal("ConvTranspose", Assert.Single(model.Graph.Nodes).OpType);
    }

    [Fact]
    public void Shared_weights_are_copied_not_changed_in_place()
    {
        // conv1 → bn1 and conv2 → (graph output) share w: conv2 must keep reading the original values.
        var g = new GraphProto { Name = "shared" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 4, 4));
        g.Output.Add(TinyModels.FloatInfo("y1", 1, 3, 2, 2));
        g.Output.Add(TinyModels.FloatInfo("y2", 1, 3, 2, 2));
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 2, 3, 3], TinyModels.RandomFloats(54, 1)));
        g.Initializer.Add(TinyModels.FloatTensor("b", [3], TinyModels.RandomFloats(3, 2)));
        AddBnParameters(g, 3);
        g.Node.Add(TinyModels.Node("Conv", ["x", "w", "b"], ["c1"], "conv1"));
        g.Node.Add(Bn("c1", "y1"));
        g.Node.Add(TinyModels.Node("Conv", ["x", "w", "b"], ["y2"], "conv2"));
        var model = BuildModel(g, 13);
        var originalW = model.Graph.Initializers["w"].ToFloatArray();

        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("x", [1, 2, 4, 4]));

        Assert.Equal(1, result.Changes);
        var conv1 = model.Graph.Nodes.Single(n => n.Name == "conv1");
        var conv2 = model.Graph.Nodes.Single(n => n.Name == "conv2");
        Assert.NotEqual("w", conv1.Inputs[1]);
        Assert.NotEqual("b", conv1.Inputs[2]);
        Assert.Equal(["x", "w", "b"], conv2.Inputs);
        Assert.Equal(originalW, model.Graph.Initializers["w"].ToFloatArray());
    }

    [Fact]
    public void Two_bns_on_convs_sharing_a_weight_both_fold()
    {
        // The first fold copies the shared weight; the second then owns it and changes it in place.
        var g = new GraphProto { Name = "shared2" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 4, 4));
        g.Output.Add(TinyModels.FloatInfo("y1", 1, 3, 2, 2));
        g.Output.Add(TinyModels.FloatInfo("y2", 1, 3, 2, 2));
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 2, 3, 3], TinyModels.RandomFloats(54, 1)));
        AddBnParameters(g, 3, "a_");
        AddBnParameters(g, 3, "b_");
        g.Node.Add(TinyModels.Node("Conv", ["x", "w"], ["c1"], "conv1"));
        g.Node.Add(Bn("c1", "y1", "bn1", "a_"));
        g.Node.Add(TinyModels.Node("Conv", ["x", "w"], ["c2"], "conv2"));
        g.Node.Add(Bn("c2", "y2", "bn2", "b_"));
        var model = BuildModel(g, 13);

        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("x", [1, 2, 4, 4]));

        Assert.Equal(2, result.Changes);
        Assert.Equal(2, model.Graph.Nodes.Count);
        Assert.Equal(4, model.Graph.Initializers.Count); // two weights, two biases
    }

    [Fact]
    public void Unfoldable_bns_stay_with_their_reasons()
    {
        var g = new GraphProto { Name = "kept" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 3, 4, 4));
        g.Input.Add(TinyModels.FloatInfo("wx", 3, 3, 1, 1));
        g.Output.Add(TinyModels.FloatInfo("y1", 1, 3, 4, 4));
        g.Output.Add(TinyModels.FloatInfo("y2", 1, 3, 4, 4));
        g.Output.Add(TinyModels.FloatInfo("y3", 1, 3, 4, 4));
        g.Output.Add(TinyModels.FloatInfo("mean_out", 3));
        AddBnParameters(g, 3);
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 3, 1, 1], TinyModels.RandomFloats(9, 1)));
        // Fed by a graph input, not a Conv.
        g.Node.Add(Bn("x", "y1", "bn_input"));
        // The Conv's weight is a graph input, not a constant.
        g.Node.Add(TinyModels.Node("Conv", ["x", "wx"], ["c2"], "conv_dynamic"));
        g.Node.Add(Bn("c2", "y2", "bn_dynamic"));
        // Training outputs are read.
        g.Node.Add(TinyModels.Node("Conv", ["x", "w"], ["c3"], "conv3"));
        g.Node.Add(Node("BatchNormalization", ["c3", "gamma", "beta", "mean", "var"], ["y3", "mean_out"], "bn_training"));
        var model = BuildModel(g, 9);

        var result = new FoldBatchNormalization().Apply(model);

        Assert.Equal(0, result.Changes);
        Assert.Equal(3, model.Graph.Nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.Contains(result.Details, d => d.StartsWith("kept bn_input:", StringComparison.Ordinal) && d.Contains("not produced by a Conv", StringComparison.Ordinal));
        Assert.Contains(result.Details, d => d.StartsWith("kept bn_dynamic:", StringComparison.Ordinal) && d.Contains("not an initializer", StringComparison.Ordinal));
        Assert.Contains(result.Details, d => d.StartsWith("kept bn_training:", StringComparison.Ordinal) && d.Contains("training output", StringComparison.Ordinal));
    }

    [Fact]
    public void Non_float32_weights_stay_with_a_reason()
    {
        var g = new GraphProto { Name = "half" };
        g.Input.Add(TinyModels.TensorInfo("x", (int)ElementType.Float16, 1, 3, 4, 4));
        g.Output.Add(TinyModels.TensorInfo("y", (int)ElementType.Float16, 1, 3, 4, 4));
        var halves = TinyModels.RandomFloats(9, 1).Select(v => (Half)v).ToArray();
        g.Initializer.Add(TinyModels.RawTensor("w", (int)ElementType.Float16, [3, 3, 1, 1], System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).ToArray()));
        AddBnParameters(g, 3);
        g.Node.Add(TinyModels.Node("Conv", ["x", "w"], ["c"], "conv"));
        g.Node.Add(Bn("c", "y"));
        var model = BuildModel(g, 13);

        var result = new FoldBatchNormalization().Apply(model);

        Assert.Equal(0, result.Changes);
        Assert.Contains("float16", Assert.Single(result.Details), StringComparison.Ordinal);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void Bn_after_opset_upgrade_of_an_opset_8_model_folds()
    {
        // Opset-8 BN carries spatial=1; the upgrade drops it and the fold then applies.
        var g = new GraphProto { Name = "old" };
        g.Input.Add(TinyModels.FloatInfo("x", 1, 2, 5, 5));
        g.Output.Add(TinyModels.FloatInfo("y", 1, 3, 3, 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", [3, 2, 3, 3], TinyModels.RandomFloats(54, 1)));
        AddBnParameters(g, 3);
        g.Node.Add(TinyModels.Node("Conv", ["x", "w"], ["c"], "conv"));
        var bn = Bn("c", "y");
        bn.Attribute.Add(Int("spatial", 1));
        g.Node.Add(bn);
        var model = BuildModel(g, 8);
        var input = RandomInput("x", [1, 2, 5, 5]);
        var before = Run(model, input);

        new UpgradeOpset().Apply(model);
        Assert.Equal(1, new FoldBatchNormalization().Apply(model).Changes);

        Assert.Equal(13, model.OpsetVersion());
        AssertSameOutputs(before, Run(model, input), Rtol);
    }

    [Fact]
    public void Every_bn_inserted_into_the_sample_cnn_folds_away()
    {
        // The sample CNN with a BN (random statistics) after each of its Convs and Gemms, as exporters without
        // folding write it; folding must give back the original structure with the same outputs.
        var model = OnnxModel.Load(RepoPaths.CnnSmall);
        var graph = model.Graph;
        int original = graph.Nodes.Count, seed = 100;
        foreach (var node in graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm").ToList())
        {
            int channels = (int)graph.Initializers[node.Inputs[1]].Dims[node.OpType == "Gemm" && node.GetInt("transB", 0) == 0 ? 1 : 0];
            string y = node.Outputs[0], pre = graph.UniqueName(y + "_pre_bn"), stem = graph.UniqueName(node.DisplayName + "_bn");
            var parameters = new[] { "scale", "B", "mean", "var" }.Select(p => stem + "_" + p).ToArray();
            graph.SetInitializer(Shrink.Model.TensorData.FromFloats(parameters[0], [channels], TinyModels.RandomFloats(channels, seed++).Select(v => 0.5f + v).ToArray()));
            graph.SetInitializer(Shrink.Model.TensorData.FromFloats(parameters[1], [channels], TinyModels.RandomFloats(channels, seed++)));
            graph.SetInitializer(Shrink.Model.TensorData.FromFloats(parameters[2], [channels], TinyModels.RandomFloats(channels, seed++)));
            graph.SetInitializer(Shrink.Model.TensorData.FromFloats(parameters[3], [channels], TinyModels.RandomFloats(channels, seed++).Select(v => 0.2f + v * v).ToArray()));
            graph.SetOutput(node, 0, pre);
            graph.AddNode("BatchNormalization", [pre, .. parameters], [y], stem, insertAt: graph.IndexOf(node) + 1);
        }
        int inserted = graph.Nodes.Count - original;
        Assert.True(inserted >= 4);

        var result = ApplyAndCompare(new FoldBatchNormalization(), model, Rtol, RandomInput("input", [4, 1, 28, 28], scale: 2f));

        Assert.Equal(inserted, result.Changes);
        Assert.Equal(original, model.Graph.Nodes.Count);
        Assert.DoesNotContain(model.Graph.Initializers.Keys, k => k.Contains("_bn_", StringComparison.Ordinal));
    }
}
