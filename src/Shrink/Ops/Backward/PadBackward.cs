namespace Shrink.Ops;

/// <summary>
/// Pad in constant mode: the gradient padded by the negated pads (what was added is cropped, what negative pads cropped
/// gets zeros), with the node's axes when it has them. Other modes (reflect, edge, wrap) and a constant value that depends
/// on a parameter are refused.
/// </summary>
public sealed class PadBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        string mode = ctx.Node.GetString("mode", "constant");
        if (mode != "constant") throw ctx.Refuse($"only constant mode is supported (mode = {mode})");
        if (ctx.NeedsGradient(2)) throw ctx.Refuse("its constant value depends on a parameter");
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        if (!ctx.HasInput(1)) throw ctx.Refuse("its pads are an attribute (opset below 11)");
        string pads = e.Emit(OpTypes.Neg, [ctx.Input(1)]);
        result[0] = ctx.HasInput(3)
            ? e.Emit(OpTypes.Pad, [ctx.Gradient, pads, "", ctx.Input(3)])
            : e.Emit(OpTypes.Pad, [ctx.Gradient, pads]);
        return result;
    }
}
