namespace Shrink.Ops;

/// <summary>
/// An op whose only differentiable input is its first (the others are shapes, axes, repeats or attributes): the rule
/// is the gradient of that input, written with the context's emitter; nothing is emitted when no gradient is needed.
/// </summary>
public abstract class FirstInputBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0)) result[0] = InputGradient(ctx);
        return result;
    }

    /// <summary>The gradient of the first input.</summary>
    protected abstract string InputGradient(BackwardContext ctx);
}
