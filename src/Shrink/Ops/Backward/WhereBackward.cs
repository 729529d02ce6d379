namespace Shrink.Ops;

/// <summary>Where(c, x, y): g where c holds to x, elsewhere to y, each reduced to its operand's shape.</summary>
public sealed class WhereBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        var result = ctx.NoGradients();
        string c = ctx.Input(0), g = ctx.Gradient, zero = e.Scalar(0);
        if (ctx.NeedsGradient(1)) result[1] = e.ReduceToShapeOf(e.Emit(OpTypes.Where, [c, g, zero]), ctx.Input(1));
        if (ctx.NeedsGradient(2)) result[2] = e.ReduceToShapeOf(e.Emit(OpTypes.Where, [c, zero, g]), ctx.Input(2));
        return result;
    }
}
