namespace Shrink.Ops;

/// <summary>Pow with a constant exponent p: g·p·x^(p−1) (g·2·x for p = 2). A computed exponent is refused.</summary>
public sealed class PowBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(1)) throw ctx.Refuse("the exponent depends on a parameter; only constant exponents are supported");
        if (!ctx.NeedsGradient(0)) return result;
        if (ctx.ConstantFloats(ctx.Input(1)) is not [float p]) throw ctx.Refuse("the exponent is not a constant scalar");
        var e = ctx.Emitter;
        string x = ctx.Input(0);
        string derivative = p == 2 ? e.Mul(x, e.Scalar(2)) : e.Mul(e.Emit(OpTypes.Pow, [x, e.Scalar(p - 1)]), e.Scalar(p));
        result[0] = e.Mul(ctx.Gradient, derivative);
        return result;
    }
}
