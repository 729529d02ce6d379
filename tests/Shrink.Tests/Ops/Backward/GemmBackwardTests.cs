using static Shrink.Tests.Ops.Backward.BackwardTestModels;
using static Shrink.Tests.Training.Autodiff.GradientCheck;

namespace Shrink.Tests.Ops.Backward;

public sealed class GemmBackwardTests
{
    [Theory]
    [InlineData(0, 0, 1f, 1f, new long[] { 5 })]
    [InlineData(0, 1, 1f, 1f, new long[] { 3, 5 })]
    [InlineData(1, 0, 0.5f, 2f, new long[] { 1, 5 })]
    [InlineData(1, 1, 1.5f, 0.25f, new long[] { 3, 1 })]
    [InlineData(0, 1, 2f, 1f, new long[] { })]
    public void A_B_and_C_gradients_match_finite_differences_for_every_transpose(long transA, long transB, float alpha, float beta, long[] c)
    {
        long[] a = transA == 1 ? [4, 3] : [3, 4];
        long[] b = transB == 1 ? [5, 4] : [4, 5];
        Check(SingleOp("Gemm", [("a", a), ("b", b), ("c", c)], attributes: [Int("transA", transA), Int("transB", transB), Float("alpha", alpha), Float("beta", beta)]));
    }

    [Fact]
    public void Gemm_without_C_matches_finite_differences()
    {
        Check(SingleOp("Gemm", [("a", [2, 3]), ("b", [4, 3])], attributes: [Int("transB", 1)]));
    }
}
