using Shrink.Tests.TestSupport;
using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class ShapeBackwardTests
{
    [Fact]
    public void Reshape_Flatten_Squeeze_and_Unsqueeze_reshape_the_gradient_back()
    {
        Check(SingleOp("Reshape", [("x", [2, 3, 4])], [Int64s("const_shape", 4, -1)]));
        Check(SingleOp("Flatten", [("x", [2, 3, 4])], attributes: [Int("axis", 2)]));
        Check(SingleOp("Squeeze", [("x", [2, 1, 4])], [Int64s("const_axes", 1)]));
        Check(SingleOp("Unsqueeze", [("x", [2, 4])], [Int64s("const_axes", 0, 2)]));
    }

    [Fact]
    public void Transpose_with_and_without_perm_matches_finite_differences()
    {
        Check(SingleOp("Transpose", [("x", [2, 3, 4])], attributes: [Ints("perm", 1, 2, 0)]));
        Check(SingleOp("Transpose", [("x", [2, 3, 4])]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(0)]
    public void Concat_splits_the_gradient_among_its_inputs(long axis)
    {
        Check(SingleOp("Concat", [("a", [2, 3, 2]), ("b", [2, 3, 2]), ("c", [2, 3, 2])], attributes: [Int("axis", axis)]));
    }

    [Fact]
    public void Concat_of_unequal_sizes_matches_finite_differences()
    {
        Check(SingleOp("Concat", [("a", [2, 1, 3]), ("b", [2, 4, 3])], attributes: [Int("axis", 1)]));
    }

    [Fact]
    public void Split_gives_zeros_to_the_outputs_the_loss_does_not_read()
    {
        // Only y0 is a graph output: y1's part of the gradient is zero.
        Check(SingleOp("Split", [("x", [2, 6])], [Int64s("const_split", 2, 4)], [Int("axis", 1)], outputs: 2));
    }

    [Theory]
    [InlineData(new long[] { 1 }, new long[] { 3 }, new long[] { 1 }, new long[] { 1 })]
    [InlineData(new long[] { 0, -1 }, new long[] { 2, -5 }, new long[] { 0, 2 }, new long[] { 1, -1 })]
    [InlineData(new long[] { 0 }, new long[] { 100 }, new long[] { 2 }, new long[] { 2 })]
    public void Slice_with_steps_and_negative_indices_matches_finite_differences(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        Check(SingleOp("Slice", [("x", [3, 4, 5])], [Int64s("const_starts", starts), Int64s("const_ends", ends), Int64s("const_axes", axes), Int64s("const_steps", steps)]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Gather_with_repeated_indices_accumulates(long axis)
    {
        Check(SingleOp("Gather", [("x", [4, 4])], [Int64s("const_indices", [2, 2], [1, 3, 1, -1])], [Int("axis", axis)]));
    }

    [Fact]
    public void Gather_of_a_scalar_index_drops_the_axis_and_matches_finite_differences()
    {
        Check(SingleOp("Gather", [("x", [2, 5, 3])], [TinyModels.RawTensor("const_i", TinyModels.Int64, [], BitConverter.GetBytes(0L))], [Int("axis", 1)]));
    }

    [Fact]
    public void Where_routes_the_gradient_by_the_condition()
    {
        var condition = Bools("const_c", [2, 3], [true, false, true, false, false, true]);
        Check(SingleOp("Where", [("x", [2, 3]), ("y", [3])], [condition], inputOrder: ["const_c", "x", "y"]));
    }
}
