using System.Globalization;

namespace Shrink.Ops;

/// <summary>
/// Reshape, Flatten, Squeeze and Unsqueeze: the gradient reshaped back to the input's shape (read at run time, or a
/// constant when every dimension is known). Squeeze and Unsqueeze with constant axes are undone by the other with the same
/// axes (no shape read).
/// </summary>
public sealed class ReshapeBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string x = ctx.Input(0), g = ctx.Gradient;
        long[]? axes = ctx.Node.OpType is OpTypes.Squeeze or OpTypes.Unsqueeze && ctx.HasInput(1) ? ctx.ConstantInts(ctx.Input(1)) : null;
        if (axes is { Length: > 0 })
            result[0] = e.Emit(ctx.Node.OpType == OpTypes.Squeeze ? OpTypes.Unsqueeze : OpTypes.Squeeze, [g, e.Ints(axes)]);
        else if (ctx.Shape(x) is { } shape && shape.All(d => d.Length > 0 && d[0] != '$'))
            result[0] = e.Reshape(g, e.Ints([.. shape.Select(d => long.Parse(d, CultureInfo.InvariantCulture))]));
        else
            result[0] = e.ReshapeLike(g, x);
        return result;
    }
}
