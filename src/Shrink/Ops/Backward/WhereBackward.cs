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
        if (ctx.NeedsGradient(1)) result[1] = ctx.ReduceToInput(e.Emit(OpTypes.Where, [c, g, zero]), 1);
        if (ctx.NeedsGradient(2)) result[2] = ctx.ReduceToInput(e.Emit(OpTypes.Where, [c, zero, g]), 2);
        return result;
    }
}
