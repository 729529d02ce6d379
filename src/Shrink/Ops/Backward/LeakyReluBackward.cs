namespace Shrink.Ops;

/// <summary>LeakyRelu: g where x > 0, else α·g (α from the node, 0.01 by default).</summary>
public sealed class LeakyReluBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string g = ctx.Gradient;
        float alpha = ctx.Node.GetFloat("alpha", 0.01f);
        result[0] = e.Emit(OpTypes.Where, [e.Emit(OpTypes.Greater, [ctx.Input(0), e.Scalar(0)]), g, e.Mul(g, e.Scalar(alpha))]);
        return result;
    }
}
