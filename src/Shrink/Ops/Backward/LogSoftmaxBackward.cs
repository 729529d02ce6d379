namespace Shrink.Ops;

/// <summary>LogSoftmax along its axis (opset 13 semantics): dx = g − exp(y)·Σ g.</summary>
public sealed class LogSoftmaxBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string y = ctx.Output(0), g = ctx.Gradient;
        long axis = ctx.Int("axis", -1);
        result[0] = e.Sub(g, e.Mul(e.Emit(OpTypes.Exp, [y]), e.ReduceSum(g, [axis], keepDims: true)));
        return result;
    }
}
