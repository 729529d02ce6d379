namespace Shrink.Ops;

/// <summary>
/// Clip(x, min, max): the gradient passes to x where min ≤ x ≤ max (bounds included, so a value sitting exactly on a
/// bound still learns), to min where x &lt; min and to max where x &gt; max, each bound's share summed to its (scalar) shape.
/// From opset 11 the bounds are optional inputs (a missing one bounds nothing); before, they are the attributes min and
/// max (defaults −∞ and +∞) and get no gradient. When min &gt; max ONNX returns max everywhere; the masks then give x no
/// gradient and both bounds their own side's share, which is not the derivative there (a degenerate clip).
/// </summary>
public sealed class ClipBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        var result = ctx.NoGradients();
        string x = ctx.Input(0), g = ctx.Gradient, zero = e.Scalar(0);
        string? min, max;
        if (ctx.Node.HasAttribute("min") || ctx.Node.HasAttribute("max"))
        {
            // Opset 6 form: bounds as attributes, constants to differentiation.
            min = ctx.Node.HasAttribute("min") ? e.Scalar(ctx.Node.GetFloat("min", float.NegativeInfinity)) : null;
            max = ctx.Node.HasAttribute("max") ? e.Scalar(ctx.Node.GetFloat("max", float.PositiveInfinity)) : null;
        }
        else
        {
            min = ctx.HasInput(1) ? ctx.Input(1) : null;
            max = ctx.HasInput(2) ? ctx.Input(2) : null;
        }

        if (ctx.NeedsGradient(0))
        {
            string? inside = null;
            if (min is not null) inside = e.Emit(OpTypes.GreaterOrEqual, [x, min]);
            if (max is not null)
            {
                string below = e.Emit(OpTypes.LessOrEqual, [x, max]);
                inside = inside is null ? below : e.Emit(OpTypes.And, [inside, below]);
            }
            result[0] = inside is null ? g : e.Emit(OpTypes.Where, [inside, g, zero]);
        }
        if (ctx.NeedsGradient(1) && ctx.HasInput(1) && !ctx.Node.HasAttribute("min"))
            result[1] = e.ReduceToShapeOf(e.Emit(OpTypes.Where, [e.Emit(OpTypes.Less, [x, min!]), g, zero]), min!);
        if (ctx.NeedsGradient(2) && ctx.HasInput(2) && !ctx.Node.HasAttribute("max"))
            result[2] = e.ReduceToShapeOf(e.Emit(OpTypes.Where, [e.Emit(OpTypes.Greater, [x, max!]), g, zero]), max!);
        return result;
    }
}
