using Onnx;
using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class ConvBackwardTests
{
    [Theory]
    [InlineData("plain 3x3", new long[] { 2, 3, 6, 6 }, new long[] { 4, 3, 3, 3 }, 1, 1, 0, 1)]
    [InlineData("stride 2, pad 1", new long[] { 2, 3, 7, 7 }, new long[] { 4, 3, 3, 3 }, 2, 1, 1, 1)]
    [InlineData("stride 2, even input", new long[] { 1, 2, 8, 6 }, new long[] { 3, 2, 3, 3 }, 2, 1, 1, 1)]
    [InlineData("stride 3 > kernel gap", new long[] { 1, 2, 8, 8 }, new long[] { 2, 2, 2, 2 }, 3, 1, 0, 1)]
    [InlineData("dilation 2", new long[] { 2, 2, 7, 7 }, new long[] { 3, 2, 3, 3 }, 1, 2, 1, 1)]
    [InlineData("groups 2", new long[] { 2, 4, 5, 5 }, new long[] { 6, 2, 3, 3 }, 1, 1, 1, 2)]
    [InlineData("depthwise, stride 2", new long[] { 2, 3, 6, 6 }, new long[] { 3, 1, 3, 3 }, 2, 1, 1, 3)]
    [InlineData("1x1", new long[] { 2, 3, 4, 4 }, new long[] { 5, 3, 1, 1 }, 1, 1, 0, 1)]
    public void Input_weight_and_bias_gradients_match_finite_differences(string name, long[] x, long[] w, long stride, long dilation, long pad, long group)
    {
        Assert.NotEmpty(name);
        // With kernel_shape the weight gradient is im2col (group 1); without it, or with groups, a Conv over transposed tensors.
        foreach (bool kernelShape in new[] { true, false })
        {
            AttributeProto[] attributes = [Ints("strides", stride, stride), Ints("dilations", dilation, dilation), Ints("pads", pad, pad, pad, pad), Int("group", group)];
            if (kernelShape) attributes = [.. attributes, Ints("kernel_shape", w[2], w[3])];
            Check(SingleOp("Conv", [("x", x), ("w", w), ("bias", [w[0]])], attributes: attributes));
        }
    }

    [Fact]
    public void Im2col_weight_gradient_of_a_strided_conv_whose_input_leaves_a_remainder_matches_finite_differences()
    {
        // 9 + 2·1 − 3 = 8 is not a multiple of stride 3: the last padded rows are read by no output, so each offset's
        // slice must end at (out − 1)·stride + 1, not at the input's end.
        Check(SingleOp("Conv", [("x", [2, 3, 9, 10]), ("w", [4, 3, 3, 2])], attributes: [Ints("strides", 3, 2), Ints("pads", 1, 0, 1, 1), Ints("kernel_shape", 3, 2), Ints("dilations", 1, 2)]));
    }

    [Fact]
    public void Asymmetric_pads_and_a_one_dimensional_conv_match_finite_differences()
    {
        Check(SingleOp("Conv", [("x", [2, 3, 6, 5]), ("w", [2, 3, 3, 2])], attributes: [Ints("pads", 0, 1, 2, 0), Ints("strides", 2, 1)]));
        Check(SingleOp("Conv", [("x", [2, 3, 6, 5]), ("w", [2, 3, 3, 2])], attributes: [Ints("pads", 0, 1, 2, 0), Ints("strides", 2, 1), Ints("kernel_shape", 3, 2)]));
        Check(SingleOp("Conv", [("x", [2, 2, 9]), ("w", [3, 2, 3])], attributes: [Ints("strides", 2), Ints("pads", 1, 1)]));
        Check(SingleOp("Conv", [("x", [2, 2, 9]), ("w", [3, 2, 3])], attributes: [Ints("strides", 2), Ints("pads", 1, 1), Ints("kernel_shape", 3)]));
    }

    [Fact]
    public void Auto_pad_same_is_refused_naming_the_node()
    {
        var model = SingleOp("Conv", [("x", [1, 2, 5, 5]), ("w", [2, 2, 3, 3])], attributes: [Str("auto_pad", "SAME_UPPER")]);
        var error = Assert.Throws<ShrinkException>(() => Check(model));
        Assert.Contains("'op' (Conv)", error.Message, StringComparison.Ordinal);
        Assert.Contains("SAME_UPPER", error.Message, StringComparison.Ordinal);
    }
}
