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

    [Theory]
    [InlineData(new long[] { 3, 1 }, new long[] { 2, 3, 4 })]
    [InlineData(new long[] { 1, 4 }, new long[] { 3, 1 })]
    [InlineData(new long[] { 2, 3 }, new long[] { 2, 3 })]
    public void Expand_sums_the_gradient_over_the_broadcast_axes(long[] x, long[] shape)
    {
        Check(SingleOp("Expand", [("x", x)], [Int64s("const_shape", shape)]));
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 2, 3 })]
    [InlineData(new long[] { 2, 1, 3 }, new long[] { 1, 4, 2 })]
    [InlineData(new long[] { 5 }, new long[] { 1 })]
    public void Tile_sums_the_gradient_over_the_repeats(long[] x, long[] repeats)
    {
        Check(SingleOp("Tile", [("x", x)], [Int64s("const_repeats", repeats)]));
    }

    [Theory]
    [InlineData(new long[] { 1, 0, 2, 0, 1, 1 })]
    [InlineData(new long[] { 0, -1, 1, 1, 2, -2 })]
    public void Pad_in_constant_mode_crops_the_gradient_and_zero_fills_what_negative_pads_cut(long[] pads)
    {
        Check(SingleOp("Pad", [("x", [2, 4, 5])], [Int64s("const_pads", pads), FloatScalar("const_value", 0.5f)]));
    }

    [Fact]
    public void Pad_with_axes_matches_finite_differences()
    {
        Check(SingleOp("Pad", [("x", [2, 4, 5])], [Int64s("const_pads", 2, 1, 0, 3), Int64s("const_axes", -1, 0)], opset: 18, inputOrder: ["x", "const_pads", "", "const_axes"]));
    }

    [Fact]
    public void Pad_in_reflect_mode_is_refused_naming_the_node()
    {
        var model = SingleOp("Pad", [("x", [2, 4])], [Int64s("const_pads", 1, 1, 1, 1)], [Str("mode", "reflect")]);
        var error = Assert.Throws<ShrinkException>(() => Check(model));
        Assert.Contains("'op' (Pad)", error.Message, StringComparison.Ordinal);
        Assert.Contains("reflect", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("asymmetric", "floor", new float[] { 1, 1, 2, 2 })]
    [InlineData("half_pixel", "round_prefer_floor", new float[] { 1, 1, 3, 2 })]
    [InlineData("pytorch_half_pixel", "round_prefer_ceil", new float[] { 2, 1, 1, 3 })]
    public void Resize_nearest_by_whole_scales_sums_each_block(string coordinates, string rounding, float[] scales)
    {
        Check(SingleOp("Resize", [("x", [2, 3, 4, 3])], [TinyModels.FloatTensor("const_scales", [4], scales)],
            [Str("mode", "nearest"), Str("coordinate_transformation_mode", coordinates), Str("nearest_mode", rounding)], inputOrder: ["x", "", "const_scales"]), samples: 20);
    }

    [Fact]
    public void Resize_with_axes_matches_finite_differences()
    {
        Check(SingleOp("Resize", [("x", [2, 3, 4])], [TinyModels.FloatTensor("const_scales", [2], [2, 3])],
            [Str("mode", "nearest"), Ints("axes", 2, 0), Str("coordinate_transformation_mode", "asymmetric"), Str("nearest_mode", "floor")], opset: 18, inputOrder: ["x", "", "const_scales"]), samples: 20);
    }

    [Theory]
    [InlineData("linear", "asymmetric", 2f, "mode = linear")]
    [InlineData("nearest", "align_corners", 2f, "align_corners")]
    [InlineData("nearest", "asymmetric", 1.5f, "scale 1.5")]
    public void Resize_that_does_not_copy_whole_blocks_is_refused_naming_the_node(string mode, string coordinates, float scale, string named)
    {
        var model = SingleOp("Resize", [("x", [1, 1, 4, 4])], [TinyModels.FloatTensor("const_scales", [4], [1, 1, scale, scale])],
            [Str("mode", mode), Str("coordinate_transformation_mode", coordinates), Str("nearest_mode", "floor")], inputOrder: ["x", "", "const_scales"]);
        var error = Assert.Throws<ShrinkException>(() => Check(model));
        Assert.Contains("'op' (Resize)", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
