namespace Shrink.Ops;

/// <summary>
/// PRelu y = x where x &gt; 0, else slope·x (slope broadcast to x): dx = g or slope·g; dslope = g·x where x ≤ 0, reduced
/// to the slope's shape.
/// </summary>
public sealed class PReluBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        var e = ctx.Emitter;
        string x = ctx.Input(0), slope = ctx.Input(1), g = ctx.Gradient;
        string positive = e.Emit(OpTypes.Greater, [x, e.Scalar(0)]);
        if (ctx.NeedsGradient(0)) result[0] = e.Emit(OpTypes.Where, [positive, g, e.Mul(g, slope)]); // the slope broadcasts to x: already x's shape
        if (ctx.NeedsGradient(1)) result[1] = ctx.ReduceToInput(e.Emit(OpTypes.Where, [positive, e.Scalar(0), e.Mul(g, x)]), 1);
        return result;
    }
}
