using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class MatMulBackwardTests
{
    [Theory]
    [InlineData(new long[] { 3, 4 }, new long[] { 4, 5 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4, 5 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 2, 4, 5 })]
    [InlineData(new long[] { 2, 1, 3, 4 }, new long[] { 3, 4, 2 })]
    [InlineData(new long[] { 3, 4 }, new long[] { 2, 4, 5 })]
    public void Both_operand_gradients_match_finite_differences_with_batch_broadcasting(long[] a, long[] b)
    {
        Check(SingleOp("MatMul", [("a", a), ("b", b)]));
    }
}
