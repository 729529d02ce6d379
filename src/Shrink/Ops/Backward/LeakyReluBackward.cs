namespace Shrink.Ops;

/// <summary>LeakyRelu: g where x > 0, else α·g (α from the node, 0.01 by default).</summary>
public sealed class LeakyReluBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string g = ctx.Gradient;
        float alpha = ctx.Node.GetFloat("alpha", 0.01f);
        return e.Emit(OpTypes.Where, [e.Emit(OpTypes.Greater, [ctx.Input(0), e.Scalar(0)]), g, e.Mul(g, e.Scalar(alpha))]);
    }
}
