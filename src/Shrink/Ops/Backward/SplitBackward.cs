namespace Shrink.Ops;

/// <summary>Split: the outputs' gradients concatenated along the axis (zeros for outputs that get none).</summary>
public sealed class SplitBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var parts = Enumerable.Range(0, ctx.Node.Outputs.Count).Select(i => ctx.OutputGradient(i) ?? e.ZerosLike(ctx.Output(i))).ToArray();
        result[0] = e.Emit(OpTypes.Concat, parts, OnnxAttribute.Int("axis", ctx.Int("axis", 0)));
        return result;
    }
}
