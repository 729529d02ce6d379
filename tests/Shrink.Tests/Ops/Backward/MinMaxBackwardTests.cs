using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Autodiff;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class MinMaxBackwardTests
{
    [Theory]
    [InlineData("Max", new long[] { 2, 3 }, new long[] { 2, 3 })]
    [InlineData("Max", new long[] { 2, 3, 4 }, new long[] { 4 })]
    [InlineData("Min", new long[] { 2, 1, 4 }, new long[] { 3, 1 })]
    [InlineData("Min", new long[] { 2, 3 }, new long[] { })]
    public void Gradients_of_both_operands_match_finite_differences_with_broadcasting(string op, long[] a, long[] b)
    {
        Check(SingleOp(op, [("a", a), ("b", b)]));
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    public void Gradients_of_three_operands_match_finite_differences(string op)
    {
        Check(SingleOp(op, [("a", [3, 4]), ("b", [4]), ("c", [3, 1])]));
    }

    [Fact]
    public void A_tie_gives_the_whole_gradient_to_the_first_input()
    {
        float[] a = [1f, -2f, 3f, 0f], b = [1f, 5f, 3f, -1f];
        var graph = new GraphProto { Name = "tie" };
        graph.Initializer.Add(TinyModels.FloatTensor("a", [4], a));
        graph.Initializer.Add(TinyModels.FloatTensor("b", [4], b));
        graph.Node.Add(TinyModels.Node("Max", ["a", "b"], ["y"], "max"));
        graph.Output.Add(TinyModels.FloatInfo("y", 4));
        var training = Gradients.Build(OnnxModel.FromProto(TinyModels.BuildModel(graph)), new WeightedSumLoss("y", [4], 3), ["a", "b"]);
        var outputs = OrtRunner.RunOnce(training.Model.ToByteArray(), new Dictionary<string, TensorProto>
        {
            ["a"] = training.InitialValues["a"].Proto,
            ["b"] = training.InitialValues["b"].Proto,
        });
        var w = TinyModels.RandomFloats(4, 3);
        Assert.Equal([w[0], 0f, w[2], w[3]], Floats(outputs[1]));
        Assert.Equal([0f, w[1], 0f, 0f], Floats(outputs[2]));
    }
}
