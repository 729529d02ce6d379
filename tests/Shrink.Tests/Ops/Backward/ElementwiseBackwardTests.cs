using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class ElementwiseBackwardTests
{
    [Theory]
    [InlineData("Add", new long[] { 2, 3 }, new long[] { 2, 3 })]
    [InlineData("Add", new long[] { 2, 3, 4 }, new long[] { 4 })]
    [InlineData("Sub", new long[] { 2, 1, 4 }, new long[] { 3, 1 })]
    [InlineData("Sub", new long[] { 3 }, new long[] { 2, 3 })]
    [InlineData("Mul", new long[] { 2, 3, 4 }, new long[] { 1, 3, 1 })]
    [InlineData("Mul", new long[] { 2, 3 }, new long[] { })]
    [InlineData("Div", new long[] { 2, 3 }, new long[] { 3 })]
    [InlineData("Div", new long[] { 1, 3 }, new long[] { 2, 1 })]
    public void Gradients_of_both_operands_match_finite_differences_with_broadcasting(string op, long[] a, long[] b)
    {
        Check(SingleOp(op, [("a", a), ("b", b)], valueMap: AwayFromZero));
    }

    [Fact]
    public void A_constant_operand_gets_no_gradient_and_the_other_still_does()
    {
        var model = SingleOp("Mul", [("a", [2, 3])], [TestSupport.TinyModels.FloatTensor("const_b", [3], [1, -2, 3])]);
        Check(model);
    }
}
