namespace Shrink.Ops;

/// <summary>
/// Add, Sub, Mul and Div with broadcasting: each operand's gradient is reduced back to its own shape
/// (<see cref="BackwardContext.ReduceToInput"/>). Div: d(a/b)/db = −y/b.
/// </summary>
public sealed class ElementwiseBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string g = ctx.Gradient, a = ctx.Input(0), b = ctx.Input(1);
        var result = ctx.NoGradients();
        string? ga = null, gb = null;
        switch (ctx.Node.OpType)
        {
            case OpTypes.Add:
                if (ctx.NeedsGradient(0)) ga = g;
                if (ctx.NeedsGradient(1)) gb = g;
                break;
            case OpTypes.Sub:
                if (ctx.NeedsGradient(0)) ga = g;
                if (ctx.NeedsGradient(1)) gb = e.Neg(g);
                break;
            case OpTypes.Mul:
                if (ctx.NeedsGradient(0)) ga = e.Mul(g, b);
                if (ctx.NeedsGradient(1)) gb = e.Mul(g, a);
                break;
            case OpTypes.Div:
                if (ctx.NeedsGradient(0)) ga = e.Div(g, b);
                if (ctx.NeedsGradient(1)) gb = e.Neg(e.Div(e.Mul(g, ctx.Output(0)), b));
                break;
            default:
                throw ctx.Refuse("the elementwise rule covers Add, Sub, Mul and Div");
        }
        if (ga is not null) result[0] = ctx.ReduceToInput(ga, 0);
        if (gb is not null) result[1] = ctx.ReduceToInput(gb, 1);
        return result;
    }
}
