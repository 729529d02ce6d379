namespace Shrink.Ops;

/// <summary>GlobalAveragePool: g spread evenly over the spatial positions (expanded to X's shape, divided by their count).</summary>
public sealed class GlobalAveragePoolBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string x = ctx.Input(0), g = ctx.Gradient;
        string count = e.Div(e.SizeAsFloat(x), e.SizeAsFloat(g));
        return e.Div(e.Emit(OpTypes.Expand, [g, e.Shape(x)]), count);
    }
}
