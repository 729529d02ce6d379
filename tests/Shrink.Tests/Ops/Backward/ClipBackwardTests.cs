using Onnx;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Autodiff;
using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class ClipBackwardTests
{
    [Fact]
    public void Gradient_with_constant_bounds_matches_finite_differences()
    {
        Check(SingleOp("Clip", [("x", [3, 4])], [FloatScalar("const_min", -0.4f), FloatScalar("const_max", 0.5f)]));
    }

    [Fact]
    public void Gradients_of_trained_bounds_match_finite_differences()
    {
        // min and max are parameters too: they get the gradient where x is clipped to them.
        var model = SingleOp("Clip", [("x", [3, 4]), ("min", []), ("max", [])], seed: 5);
        Replace(model, FloatScalar("min", -0.3f));
        Replace(model, FloatScalar("max", 0.45f));
        Check(model);
    }

    private static void Replace(ModelProto model, TensorProto tensor)
    {
        var list = model.Graph.Initializer;
        list[list.IndexOf(list.Single(t => t.Name == tensor.Name))] = tensor;
    }

    [Fact]
    public void Only_a_max_bound_leaves_small_values_their_gradient()
    {
        Check(SingleOp("Clip", [("x", [2, 5])], [FloatScalar("const_max", 0.2f)], inputOrder: ["x", "", "const_max"]));
    }

    [Fact]
    public void Gradient_is_the_output_gradient_inside_the_bounds_including_them_and_zero_outside()
    {
        float[] x = [-2f, -0.5f, 0f, 0.5f, 1f, 3f];
        var training = Gradients.Build(OnnxModel.FromProto(SingleOp("Clip", [("x", [6])], [FloatScalar("const_min", -0.5f), FloatScalar("const_max", 1f)])),
            new WeightedSumLoss("y0", [6], 2), ["x"]);
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = TinyModels.FloatTensor("x", [6], x) });
        var weights = TinyModels.RandomFloats(6, 2);
        Assert.Equal([0f, weights[1], weights[2], weights[3], weights[4], 0f], Floats(outputs[1]));
    }

    [Fact]
    public void Opset_6_bounds_given_as_attributes_mask_the_gradient_and_get_none()
    {
        // Gradients.Build needs opset 13, so the rule is run by hand on a Clip-6 node: the backward nodes it writes (opset
        // 16) read x and the output gradient, which become the inputs of a model of their own.
        var graph = new GraphProto { Name = "clip6" };
        graph.Input.Add(TinyModels.FloatInfo("x", 5));
        var clip = TinyModels.Node("Clip", ["x"], ["y"], "clip6");
        clip.Attribute.Add(Float("min", -1f));
        clip.Attribute.Add(Float("max", 2f));
        graph.Node.Add(clip);
        graph.Output.Add(TinyModels.FloatInfo("y", 5));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(graph, opset: 6), "clip6");
        var writer = new ModelGraphWriter(model.Graph, 16);
        var node = model.Graph.Nodes.Single();
        var ctx = new BackwardContext(new ForwardNode(model.Graph, node), ["g"], _ => true, _ => 1, new GraphEmitter(writer, "grad"));
        var gradients = new ClipBackward().Emit(ctx);
        Assert.Single(gradients);
        model.Graph.RemoveNode(node);
        model.Graph.ClearGraphOutputs();
        model.Graph.AddGraphInput(new ValueInfo("g", ElementType.Float, [new Dimension(5, null)]));
        model.Graph.AddGraphOutput(new ValueInfo(gradients[0]!, ElementType.Float, [new Dimension(5, null)]));
        model.SetOpsetVersion("", 16);

        float[] g = [1f, 2f, 3f, 4f, 5f];
        var outputs = OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto>
        {
            ["x"] = TinyModels.FloatTensor("x", [5], [-3f, -1f, 0.5f, 2f, 2.5f]),
            ["g"] = TinyModels.FloatTensor("g", [5], g),
        });
        Assert.Equal([0f, 2f, 3f, 4f, 0f], Floats(outputs.Single()));
    }
}
