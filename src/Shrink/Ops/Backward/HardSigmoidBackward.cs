namespace Shrink.Ops;

/// <summary>HardSigmoid y = max(0, min(1, α·x + β)): α·g where 0 &lt; α·x + β &lt; 1, else 0 (α 0.2 and β 0.5 by default).</summary>
public sealed class HardSigmoidBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        float alpha = ctx.Node.GetFloat("alpha", 0.2f), beta = ctx.Node.GetFloat("beta", 0.5f);
        string linear = e.Add(e.Mul(ctx.Input(0), e.Scalar(alpha)), e.Scalar(beta));
        string inside = e.Emit(OpTypes.And, [e.Emit(OpTypes.Greater, [linear, e.Scalar(0)]), e.Emit(OpTypes.Less, [linear, e.Scalar(1)])]);
        return e.Emit(OpTypes.Where, [inside, e.Mul(ctx.Gradient, e.Scalar(alpha)), e.Scalar(0)]);
    }
}
