using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class PoolingBackwardTests
{
    [Fact]
    public void MaxPool_without_overlap_matches_finite_differences()
    {
        Check(SingleOp("MaxPool", [("x", [2, 3, 6, 6])], attributes: [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)]));
    }

    [Fact]
    public void MaxPool_with_overlapping_windows_and_padding_accumulates_and_matches_finite_differences()
    {
        Check(SingleOp("MaxPool", [("x", [2, 2, 5, 5])], attributes: [Ints("kernel_shape", 3, 3), Ints("strides", 1, 1), Ints("pads", 1, 1, 1, 1)]));
    }

    [Fact]
    public void GlobalAveragePool_matches_finite_differences()
    {
        Check(SingleOp("GlobalAveragePool", [("x", [2, 3, 4, 5])]));
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 6, 6 }, new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, 0)]
    [InlineData(new long[] { 2, 2, 5, 5 }, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 0)]
    [InlineData(new long[] { 2, 2, 5, 5 }, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 1)]
    [InlineData(new long[] { 1, 3, 7, 6 }, new long[] { 3, 2 }, new long[] { 2, 3 }, new long[] { 1, 0, 0, 1 }, 0)]
    [InlineData(new long[] { 2, 3, 9 }, new long[] { 4 }, new long[] { 3 }, new long[] { 2, 1 }, 1)]
    public void AveragePool_with_strides_pads_and_count_include_pad_matches_finite_differences(long[] x, long[] kernel, long[] strides, long[] pads, long countIncludePad)
    {
        Check(SingleOp("AveragePool", [("x", x)], attributes: [Ints("kernel_shape", kernel), Ints("strides", strides), Ints("pads", pads), Int("count_include_pad", countIncludePad)]), samples: 20);
    }

    [Fact]
    public void AveragePool_with_dilations_matches_finite_differences()
    {
        Check(SingleOp("AveragePool", [("x", [1, 2, 7, 7])], attributes: [Ints("kernel_shape", 2, 3), Ints("dilations", 2, 2), Ints("pads", 1, 1, 0, 1)], opset: 19), samples: 20);
    }

    [Fact]
    public void AveragePool_with_ceil_mode_is_refused_naming_the_node()
    {
        var model = SingleOp("AveragePool", [("x", [1, 2, 5, 5])], attributes: [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1)]);
        var error = Assert.Throws<ShrinkException>(() => Check(model));
        Assert.Contains("'op' (AveragePool)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ceil_mode", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 3, 2, 6 })]
    public void GlobalMaxPool_routes_the_gradient_to_each_maximum(long[] x)
    {
        Check(SingleOp("GlobalMaxPool", [("x", x)]), samples: 30);
    }
}
