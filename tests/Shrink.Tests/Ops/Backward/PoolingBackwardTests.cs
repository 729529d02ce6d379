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
}
