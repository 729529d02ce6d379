using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class UnaryBackwardTests
{
    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Erf")]
    [InlineData("Exp")]
    [InlineData("Neg")]
    [InlineData("Identity")]
    public void Activation_gradients_match_finite_differences(string op)
    {
        Check(SingleOp(op, [("x", [2, 3, 4])]));
    }

    [Theory]
    [InlineData("Sqrt")]
    [InlineData("Log")]
    public void Gradients_of_ops_defined_for_positive_inputs_match_finite_differences(string op)
    {
        Check(SingleOp(op, [("x", [3, 5])], valueMap: Positive));
    }

    [Fact]
    public void Cast_to_float_passes_the_gradient_through()
    {
        Check(SingleOp("Cast", [("x", [4, 2])], attributes: [Int("to", 1)]));
    }

    [Fact]
    public void Dropout_in_inference_is_the_identity_for_gradients()
    {
        Check(SingleOp("Dropout", [("x", [4, 2])]));
    }

    [Theory]
    [InlineData(2f)]
    [InlineData(3f)]
    [InlineData(0.5f)]
    public void Pow_with_a_constant_exponent_matches_finite_differences(float exponent)
    {
        Check(SingleOp("Pow", [("x", [2, 5])], [FloatScalar("const_p", exponent)], valueMap: Positive));
    }

    [Fact]
    public void Pow_with_a_trained_exponent_is_refused_naming_the_node()
    {
        var model = SingleOp("Pow", [("x", [2, 5]), ("p", [])], valueMap: Positive);
        var error = Assert.Throws<ShrinkException>(() => Check(model));
        Assert.Contains("'op' (Pow)", error.Message, StringComparison.Ordinal);
        Assert.Contains("exponent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Softplus")]
    [InlineData("Sin")]
    [InlineData("Cos")]
    public void Smooth_activations_over_a_wide_range_match_finite_differences(string op)
    {
        Check(SingleOp(op, [("x", [3, 2, 5])], valueMap: v => 4 * v));
    }

    [Theory]
    [InlineData("Abs")]
    [InlineData("Reciprocal")]
    public void Gradients_of_ops_with_a_kink_or_pole_at_zero_match_finite_differences_away_from_it(string op)
    {
        Check(SingleOp(op, [("x", [4, 3])], valueMap: AwayFromZero));
    }

    [Fact]
    public void HardSwish_matches_finite_differences_in_all_three_pieces()
    {
        // x in [−5, 5]: zero below −3, the identity above 3, the quadratic between.
        Check(SingleOp("HardSwish", [("x", [4, 10])], opset: 14, valueMap: v => 5 * v), samples: 30);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(0.5f, 0.3f)]
    public void HardSigmoid_with_its_alpha_and_beta_matches_finite_differences_inside_and_outside_the_ramp(float? alpha, float? beta)
    {
        var attributes = alpha is null ? [] : new[] { Float("alpha", alpha.Value), Float("beta", beta!.Value) };
        Check(SingleOp("HardSigmoid", [("x", [4, 10])], attributes: attributes, valueMap: v => 4 * v), samples: 30);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.2f)]
    public void LeakyRelu_with_its_alpha_matches_finite_differences(float? alpha)
    {
        var attributes = alpha is null ? [] : new[] { Float("alpha", alpha.Value) };
        Check(SingleOp("LeakyRelu", [("x", [3, 7])], attributes: attributes), samples: 20);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_exact_and_tanh_match_finite_differences(string approximate)
    {
        Check(SingleOp("Gelu", [("x", [2, 3, 5])], attributes: [Str("approximate", approximate)], opset: 20, valueMap: v => 3 * v));
    }

    [Fact]
    public void Gelu_with_an_unknown_approximation_is_refused_naming_the_node()
    {
        var error = BuildRefusal(SingleOp("Gelu", [("x", [2, 3])], attributes: [Str("approximate", "erf")], opset: 20));
        Assert.Contains("'op' (Gelu)", error.Message, StringComparison.Ordinal);
        Assert.Contains("erf", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 1 })]
    [InlineData(new long[] { 3, 1 })]
    [InlineData(new long[] { 4 })]
    [InlineData(new long[] { 2, 3, 4 })]
    public void PRelu_input_and_broadcast_slope_gradients_match_finite_differences(long[] slope)
    {
        Check(SingleOp("PRelu", [("x", [2, 3, 4]), ("slope", slope)]), samples: 20);
    }
}
