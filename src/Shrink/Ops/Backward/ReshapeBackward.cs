namespace Shrink.Ops;

/// <summary>Reshape, Flatten, Squeeze and Unsqueeze: the gradient reshaped back to the input's shape (read at run time).</summary>
public sealed class ReshapeBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0)) result[0] = ctx.Emitter.ReshapeLike(ctx.Gradient, ctx.Input(0));
        return result;
    }
}
