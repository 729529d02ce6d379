namespace Shrink.Ops;

/// <summary>Expand: the gradient summed over the broadcast axes back to the input's shape.</summary>
public sealed class ExpandBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0)) result[0] = ctx.ReduceToInput(ctx.Gradient, 0);
        return result;
    }
}
