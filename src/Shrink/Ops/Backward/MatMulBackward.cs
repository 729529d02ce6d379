namespace Shrink.Ops;

/// <summary>
/// MatMul Y = A·B: dA = g·Bᵀ and dB = Aᵀ·g over the last two axes, each reduced to its operand's shape (batch
/// broadcasting). When B is a 2-D weight, dB is one Gemm over A and g flattened to matrices. 1-D operands are refused.
/// </summary>
public sealed class MatMulBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string g = ctx.Gradient, a = ctx.Input(0), b = ctx.Input(1);
        var result = ctx.NoGradients();
        if (ctx.Rank(b) == 2 && ctx.Rank(a) is null or >= 2)
        {
            // A 2-D B (a weight) with A of any rank ≥ 2: A and g flattened to matrices [rows, K] and [rows, N] at run time.
            if (ctx.NeedsGradient(0)) result[0] = e.Emit(OpTypes.MatMul, [g, e.Transpose(b, [1, 0])]);
            if (ctx.NeedsGradient(1))
                result[1] = e.Emit(OpTypes.Gemm, [Rows(e, a), Rows(e, g)], OnnxAttribute.Int("transA", 1));
            return result;
        }
        int ra = ctx.RequireRank(a), rb = ctx.RequireRank(b);
        if (ra < 2 || rb < 2) throw ctx.Refuse("1-D MatMul operands are not supported");
        if (ctx.NeedsGradient(0)) result[0] = e.ReduceToShapeOf(e.Emit(OpTypes.MatMul, [g, e.Transpose(b, SwapLast(rb))]), a);
        if (ctx.NeedsGradient(1)) result[1] = e.ReduceToShapeOf(e.Emit(OpTypes.MatMul, [e.Transpose(a, SwapLast(ra)), g]), b);
        return result;
    }

    private static string Rows(GraphEmitter e, string x) =>
        e.Reshape(x, e.Emit(OpTypes.Concat, [e.Ints(-1), e.ShapeSlice(x, -1)], OnnxAttribute.Int("axis", 0)));

    private static long[] SwapLast(int rank)
    {
        var perm = new long[rank];
        for (int i = 0; i < rank; i++) perm[i] = i;
        (perm[rank - 1], perm[rank - 2]) = (perm[rank - 2], perm[rank - 1]);
        return perm;
    }
}
