namespace Shrink.Ops;

/// <summary>Softmax along its axis (opset 13 semantics): dx = y·(g − Σ g·y).</summary>
public sealed class SoftmaxBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string y = ctx.Output(0), g = ctx.Gradient;
        long axis = ctx.Int("axis", -1);
        result[0] = e.Mul(y, e.Sub(g, e.ReduceSum(e.Mul(g, y), [axis], keepDims: true)));
        return result;
    }
}
