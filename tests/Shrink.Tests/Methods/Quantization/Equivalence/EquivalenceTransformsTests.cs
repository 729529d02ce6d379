using Shrink.Methods.Quantization.Equivalence;
using Shrink.Runtime;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class EquivalenceTransformsTests
{
    [Fact]
    public void Transforms_run_in_the_fixed_order_equalize_smooth_rotate_then_bias_correction()
    {
        var all = new EquivalenceOptions { Smooth = true, Rotate = RotationKind.Hadamard, Equalize = true, BiasCorrection = BiasCorrectionKind.Empirical };
        Assert.Equal(["equalize", "smooth", "rotate", "bias-correction"], EquivalenceTransforms.Selected(all));
        Assert.Equal(["rotate"], EquivalenceTransforms.Selected(new EquivalenceOptions { Rotate = RotationKind.Klt }));
        Assert.Empty(EquivalenceTransforms.Selected(new EquivalenceOptions()));
        Assert.False(new EquivalenceOptions().Any);
        Assert.True(all.Any);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_smoothing_strength_outside_zero_to_one_is_refused(double alpha)
    {
        var e = Assert.Throws<OptionsException>(() => new EquivalenceOptions { Smooth = true, SmoothAlpha = alpha }.Validate());
        Assert.Contains("[0, 1]", e.Message);
        new EquivalenceOptions { Smooth = true, SmoothAlpha = 0.5 }.Validate();
        Assert.Throws<OptionsException>(() => new EquivalenceOptions { SmoothAlpha = 0.5 }.Validate());
    }

    [Fact]
    public void The_function_check_measures_the_largest_change_relative_to_the_largest_output()
    {
        OutputTensor T(params float[] v) => new("y", [v.Length], v);
        Assert.Equal(0, EquivalenceTransforms.RelativeChange([T(1, -4, 2)], [T(1, -4, 2)]));
        Assert.Equal(0.25, EquivalenceTransforms.RelativeChange([T(1, -4, 2)], [T(1, -4, 3)]), 12);
        Assert.Equal(double.PositiveInfinity, EquivalenceTransforms.RelativeChange([T(1, 2)], [T(1, 2, 3)]));
        // The worst of several outputs counts.
        Assert.Equal(0.5, EquivalenceTransforms.RelativeChange([T(2, 2), T(1, 1)], [T(2, 2), T(1, 1.5f)]), 12);
    }

    [Fact]
    public void Every_transform_reports_the_same_outlier_ratio_largest_over_median()
    {
        Assert.Equal(4.0, EquivalenceLayer.OutlierRatio([1.0, 2.0, 8.0]), 12);
        Assert.Equal(8.0 / 2.5, EquivalenceLayer.OutlierRatio([1f, 2f, 3f, 8f]), 6); // even count: mean of the two middle values
        Assert.True(double.IsNaN(EquivalenceLayer.OutlierRatio([0.0, 0.0, 5.0])));
        Assert.True(double.IsNaN(EquivalenceLayer.OutlierRatio(ReadOnlySpan<double>.Empty)));
    }
}
