namespace Shrink.Ops;

/// <summary>GlobalAveragePool: g spread evenly over the spatial positions (expanded to X's shape, divided by their count).</summary>
public sealed class GlobalAveragePoolBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string x = ctx.Input(0), g = ctx.Gradient;
        string count = e.Div(e.SizeAsFloat(x), e.SizeAsFloat(g));
        result[0] = e.Div(e.Emit(OpTypes.Expand, [g, e.Shape(x)]), count);
        return result;
    }
}
