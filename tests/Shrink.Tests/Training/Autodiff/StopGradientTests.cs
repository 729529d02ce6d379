using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training.Autodiff;

/// <summary><see cref="Gradients.Build"/>'s stop-gradient values: constants to differentiation, like JAX's stop_gradient.</summary>
public sealed class StopGradientTests
{
    // y = x + (Round(x) − x): Round's value forward, and with the difference stopped, the identity's gradient backward.
    private static ModelProto StraightThrough()
    {
        var graph = new GraphProto { Name = "ste" };
        graph.Initializer.Add(TinyModels.FloatTensor("x", [2, 3], TinyModels.RandomFloats(6, 4).Select(v => 3 * v).ToArray()));
        graph.Node.Add(TinyModels.Node("Round", ["x"], ["r"], "round"));
        graph.Node.Add(TinyModels.Node("Sub", ["r", "x"], ["d"], "sub"));
        graph.Node.Add(TinyModels.Node("Add", ["x", "d"], ["y"], "add"));
        graph.Output.Add(TinyModels.FloatInfo("y", 2, 3));
        return TinyModels.BuildModel(graph);
    }

    private static (float[] Loss, float[] Gradient) Run(ModelProto model, string[] parameters, string[]? stop)
    {
        var training = Gradients.Build(OnnxModel.FromProto(model.Clone(), "ste"), new WeightedSumLoss("y", [2, 3], 9), parameters, stop);
        var feeds = parameters.ToDictionary(p => p, p => training.InitialValues[p].Proto);
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
        return (GradientCheck.Floats(outputs[0]), GradientCheck.Floats(outputs[1]));
    }

    [Fact]
    public void A_stopped_value_passes_its_forward_value_but_no_gradient()
    {
        var weights = TinyModels.RandomFloats(6, 9);
        var x = TinyModels.RandomFloats(6, 4).Select(v => 3 * v).ToArray();
        double expectedLoss = x.Select((v, i) => MathF.Round(v, MidpointRounding.ToEven) * weights[i]).Sum();

        var (loss, straightThrough) = Run(StraightThrough(), ["x"], ["d"]);
        Assert.Equal(expectedLoss, loss[0], 4);
        Assert.Equal(weights, straightThrough);

        // Without the stop, the difference's gradient cancels the identity's (Round has none): all zero.
        var (_, plain) = Run(StraightThrough(), ["x"], null);
        Assert.All(plain, g => Assert.Equal(0f, g, 6));
    }

    [Fact]
    public void A_stopped_parameter_gets_a_zero_gradient()
    {
        var (_, gradient) = Run(StraightThrough(), ["x"], ["x"]);
        Assert.All(gradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void A_stop_gradient_name_the_model_lacks_is_refused_naming_it()
    {
        var error = Assert.Throws<ShrinkException>(() => Run(StraightThrough(), ["x"], ["nowhere"]));
        Assert.Contains("'nowhere'", error.Message, StringComparison.Ordinal);
    }
}
