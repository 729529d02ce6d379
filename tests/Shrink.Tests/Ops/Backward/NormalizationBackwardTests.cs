using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class NormalizationBackwardTests
{
    [Theory]
    [InlineData("Softmax", -1)]
    [InlineData("Softmax", 1)]
    [InlineData("LogSoftmax", -1)]
    [InlineData("LogSoftmax", 0)]
    public void Softmax_and_LogSoftmax_match_finite_differences_along_their_axis(string op, long axis)
    {
        Check(SingleOp(op, [("x", [2, 3, 4])], attributes: [Int("axis", axis)]));
    }

    [Theory]
    [InlineData(-1, new long[] { 5 })]
    [InlineData(-2, new long[] { 3, 5 })]
    [InlineData(1, new long[] { 3, 5 })]
    public void LayerNormalization_input_scale_and_bias_gradients_match_finite_differences(long axis, long[] scale)
    {
        Check(SingleOp("LayerNormalization", [("x", [2, 3, 5]), ("scale", scale), ("bias", scale)], attributes: [Int("axis", axis)], opset: 17));
    }

    [Theory]
    [InlineData("ReduceMean", 1, new long[] { 1 })]
    [InlineData("ReduceMean", 0, new long[] { 0, 2 })]
    [InlineData("ReduceMean", 0, new long[] { -1 })]
    [InlineData("ReduceMean", 1, new long[] { })]
    public void ReduceMean_matches_finite_differences(string op, long keepDims, long[] axes)
    {
        var attributes = axes.Length == 0 ? new[] { Int("keepdims", keepDims) } : [Int("keepdims", keepDims), Ints("axes", axes)];
        Check(SingleOp(op, [("x", [2, 3, 4])], attributes: attributes));
    }

    [Theory]
    [InlineData(1, new long[] { 1 })]
    [InlineData(0, new long[] { 0, 2 })]
    [InlineData(0, new long[] { })]
    public void ReduceSum_with_axes_as_an_input_matches_finite_differences(long keepDims, long[] axes)
    {
        var constants = axes.Length == 0 ? null : new[] { Int64s("const_axes", axes) };
        Check(SingleOp("ReduceSum", [("x", [2, 3, 4])], constants, [Int("keepdims", keepDims)]));
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 5 })]
    [InlineData(new long[] { 2, 4, 3, 5 })]
    [InlineData(new long[] { 1, 2, 2, 3, 2 })]
    public void InstanceNormalization_input_scale_and_bias_gradients_match_finite_differences(long[] x)
    {
        Check(SingleOp("InstanceNormalization", [("x", x), ("scale", [x[1]]), ("bias", [x[1]])], attributes: [Float("epsilon", 1e-3f)]));
    }

    [Theory]
    [InlineData(new long[] { 4, 3 })]
    [InlineData(new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 2, 2, 7 })]
    public void BatchNormalization_in_inference_form_gives_gradients_to_every_input(long[] x)
    {
        long[] c = [x[1]];
        // Every value in [0.5, 1.5]: positive variances.
        Check(SingleOp("BatchNormalization", [("x", x), ("scale", c), ("bias", c), ("mean", c), ("var", c)], attributes: [Float("epsilon", 1e-3f)], opset: 15, valueMap: Positive));
    }

    [Fact]
    public void BatchNormalization_in_training_mode_is_refused_naming_the_node()
    {
        var error = BuildRefusal(SingleOp("BatchNormalization", [("x", [2, 3, 4]), ("scale", [3]), ("bias", [3]), ("mean", [3]), ("var", [3])], attributes: [Int("training_mode", 1)], opset: 15, valueMap: Positive));
        Assert.Contains("'op' (BatchNormalization)", error.Message, StringComparison.Ordinal);
        Assert.Contains("training_mode", error.Message, StringComparison.Ordinal);
    }
}
