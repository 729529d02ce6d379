namespace Shrink.Ops;

/// <summary>
/// Gemm Y = α·op(A)·op(B) + β·C: each input gradient is one Gemm with the transposes that make its shape
/// (dA = α·g·op(B)ᵀ, transposed back with transA; dB = α·op(A)ᵀ·g, transposed back with transB), dC = β·g reduced to
/// C's shape.
/// </summary>
public sealed class GemmBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string g = ctx.Gradient, a = ctx.Input(0), b = ctx.Input(1);
        long transA = ctx.Int("transA", 0), transB = ctx.Int("transB", 0);
        float alpha = ctx.Node.GetFloat("alpha", 1f), beta = ctx.Node.GetFloat("beta", 1f);
        var alphaAttribute = OnnxAttribute.Float("alpha", alpha);
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0))
        {
            result[0] = transA == 0
                ? e.Emit(OpTypes.Gemm, [g, b], alphaAttribute, OnnxAttribute.Int("transB", 1 - transB))
                : e.Emit(OpTypes.Gemm, [b, g], alphaAttribute, OnnxAttribute.Int("transA", transB), OnnxAttribute.Int("transB", 1));
        }
        if (ctx.NeedsGradient(1))
        {
            result[1] = transB == 0
                ? e.Emit(OpTypes.Gemm, [a, g], alphaAttribute, OnnxAttribute.Int("transA", 1 - transA))
                : e.Emit(OpTypes.Gemm, [g, a], alphaAttribute, OnnxAttribute.Int("transA", 1), OnnxAttribute.Int("transB", transA));
        }
        if (ctx.NeedsGradient(2))
        {
            string scaled = beta == 1f ? g : e.Mul(g, e.Scalar(beta));
            result[2] = e.ReduceToShapeOf(scaled, ctx.Input(2));
        }
        return result;
    }
}
