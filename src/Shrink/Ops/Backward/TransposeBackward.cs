namespace Shrink.Ops;

/// <summary>Transpose: the gradient transposed by the inverse permutation (no perm: the reversal, its own inverse).</summary>
public sealed class TransposeBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var perm = ctx.Ints("perm");
        if (perm is null || perm.Count == 0)
        {
            result[0] = ctx.Emitter.Emit(OpTypes.Transpose, [ctx.Gradient]);
            return result;
        }
        var inverse = new long[perm.Count];
        for (int i = 0; i < perm.Count; i++) inverse[perm[i]] = i;
        result[0] = ctx.Emitter.Transpose(ctx.Gradient, inverse);
        return result;
    }
}
