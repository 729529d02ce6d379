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
}
