using Onnx;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Passes;

/// <summary>
/// A LayerNorm spelled out as torch exports it below opset 17 (ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div, · γ,
/// + β) becomes one LayerNormalization with the same outputs in ONNX Runtime; patterns whose intermediates are read
/// elsewhere, or must be kept, and models below opset 17 are left alone.
/// </summary>
public sealed class LayerNormalizationFusionTests
{
    private const int Channels = 8;

    // x [2, 5, 8] → decomposed LayerNorm over the last axis → y; optional γ/β, Pow or Mul for the square, ε as an
    // initializer or a Constant node, and the deviation optionally also a graph output.
    // (The exponent and ε are named const_… so that GradientCheck does not take them for parameters.)
    internal static ModelProto Decomposed(long opset = 17, bool affine = true, bool squareByMul = false, bool epsilonAsConstantNode = false, bool deviationIsOutput = false, bool inputAsInitializer = false, bool broadcastScale = false)
    {
        var graph = new GraphProto { Name = "layer_norm" };
        if (inputAsInitializer) graph.Initializer.Add(Input());
        else graph.Input.Add(TinyModels.FloatInfo("x", 2, 5, Channels));
        graph.Node.Add(PassTestKit.Node(OpTypes.ReduceMean, ["x"], ["mean"], "ln/ReduceMean", PassTestKit.Ints("axes", -1)));
        graph.Node.Add(TinyModels.Node(OpTypes.Sub, ["x", "mean"], ["d"], "ln/Sub"));
        if (squareByMul)
        {
            graph.Node.Add(TinyModels.Node(OpTypes.Mul, ["d", "d"], ["sq"], "ln/Square"));
        }
        else
        {
            graph.Initializer.Add(TinyModels.FloatTensor("const_two", [], [2f]));
            graph.Node.Add(TinyModels.Node(OpTypes.Pow, ["d", "const_two"], ["sq"], "ln/Pow"));
        }
        graph.Node.Add(PassTestKit.Node(OpTypes.ReduceMean, ["sq"], ["var"], "ln/ReduceMean_1", PassTestKit.Ints("axes", -1)));
        if (epsilonAsConstantNode) graph.Node.Add(TinyModels.ConstantNode("const_eps", TinyModels.FloatTensor("const_eps", [], [1e-5f]), "ln/Constant"));
        else graph.Initializer.Add(TinyModels.FloatTensor("const_eps", [], [1e-5f]));
        graph.Node.Add(TinyModels.Node(OpTypes.Add, ["var", "const_eps"], ["ve"], "ln/Add"));
        graph.Node.Add(TinyModels.Node(OpTypes.Sqrt, ["ve"], ["std"], "ln/Sqrt"));
        graph.Node.Add(TinyModels.Node(OpTypes.Div, ["d", "std"], [affine ? "n" : "y"], "ln/Div"));
        if (affine)
        {
            int scaleLength = broadcastScale ? 1 : Channels;
            graph.Initializer.Add(TinyModels.FloatTensor("gamma", [scaleLength], TinyModels.RandomFloats(scaleLength, 5).Select(v => 1 + v).ToArray()));
            graph.Initializer.Add(TinyModels.FloatTensor("beta", [Channels], TinyModels.RandomFloats(Channels, 6)));
            graph.Node.Add(TinyModels.Node(OpTypes.Mul, ["n", "gamma"], ["scaled"], "ln/Mul"));
            graph.Node.Add(TinyModels.Node(OpTypes.Add, ["scaled", "beta"], ["y"], "ln/Add_1"));
        }
        graph.Output.Add(TinyModels.FloatInfo("y", 2, 5, Channels));
        if (deviationIsOutput) graph.Output.Add(TinyModels.FloatInfo("d", 2, 5, Channels));
        return TinyModels.BuildModel(graph, opset);
    }

    private static TensorProto Input() => PassTestKit.RandomInput("x", [2, 5, Channels], seed: 7, scale: 3f);

    [Fact]
    public void Affine_layer_norm_becomes_one_LayerNormalization_with_the_same_outputs()
    {
        var model = OnnxModel.FromProto(Decomposed());
        var result = PassTestKit.ApplyAndCompare(new LayerNormalizationFusion(), model, 1e-5, Input());

        Assert.Equal(1, result.Changes);
        var ln = Assert.Single(model.Graph.Nodes);
        Assert.Equal(OpTypes.LayerNormalization, ln.OpType);
        Assert.Equal(["x", "gamma", "beta"], ln.Inputs);
        Assert.Equal(["y"], ln.Outputs);
        Assert.Equal(-1, ln.GetInt("axis", 0));
        Assert.Equal(1e-5f, ln.GetFloat("epsilon", 0));
        // The exponent and ε are no longer read, so they are gone.
        Assert.Null(model.Graph.FindInitializer("const_two"));
        Assert.Null(model.Graph.FindInitializer("const_eps"));
    }

    [Fact]
    public void Plain_layer_norm_gets_a_scale_of_ones_and_its_constant_nodes_are_removed()
    {
        var model = OnnxModel.FromProto(Decomposed(affine: false, squareByMul: true, epsilonAsConstantNode: true));
        var result = PassTestKit.ApplyAndCompare(new LayerNormalizationFusion(), model, 1e-5, Input());

        Assert.Equal(1, result.Changes);
        var ln = Assert.Single(model.Graph.Nodes);
        Assert.Equal(2, ln.Inputs.Count);
        Assert.All(model.Graph.FindInitializer(ln.Inputs[1])!.ToFloatArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void A_broadcast_scale_of_one_value_stays_outside_the_LayerNormalization()
    {
        // LayerNormalization wants a scale as long as the normalized axis; a [1] scale is applied after it instead.
        var model = OnnxModel.FromProto(Decomposed(broadcastScale: true));
        var result = PassTestKit.ApplyAndCompare(new LayerNormalizationFusion(), model, 1e-5, Input());

        Assert.Equal(1, result.Changes);
        Assert.Equal([OpTypes.LayerNormalization, OpTypes.Mul, OpTypes.Add], model.Graph.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Intermediate_read_elsewhere_is_left_alone()
    {
        var model = OnnxModel.FromProto(Decomposed(deviationIsOutput: true));
        Assert.Equal(0, new LayerNormalizationFusion().Apply(model).Changes);
        Assert.Equal(9, model.Graph.Nodes.Count);
    }

    [Fact]
    public void Kept_values_are_not_fused_away()
    {
        var model = OnnxModel.FromProto(Decomposed());
        Assert.Equal(0, new LayerNormalizationFusion(new HashSet<string>(["std"], StringComparer.Ordinal)).Apply(model).Changes);
        // The output of the pattern itself may be kept: it stays, written by the LayerNormalization.
        Assert.Equal(1, new LayerNormalizationFusion(new HashSet<string>(["y"], StringComparer.Ordinal)).Apply(model).Changes);
    }

    [Fact]
    public void Models_below_opset_17_are_left_alone()
    {
        var model = OnnxModel.FromProto(Decomposed(opset: 13));
        Assert.Equal(0, new LayerNormalizationFusion().Apply(model).Changes);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == OpTypes.LayerNormalization);
    }
}
