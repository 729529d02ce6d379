namespace Shrink.Ops;

/// <summary>GlobalMaxPool: g to the positions that hold the maximum of their sample and channel, shared equally between ties.</summary>
public sealed class GlobalMaxPoolBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string x = ctx.Input(0);
        int rank = ctx.RequireRank(x);
        string mask = e.Emit(OpTypes.Cast, [e.Emit(OpTypes.Equal, [x, ctx.Output(0)])], OnnxAttribute.Int("to", 1));
        string ties = e.ReduceSum(mask, [.. Enumerable.Range(2, rank - 2).Select(a => (long)a)], keepDims: true);
        return e.Mul(mask, e.Div(ctx.Gradient, ties));
    }
}
