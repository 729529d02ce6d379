namespace Shrink.Ops;

/// <summary>
/// MaxPool: the forward node is given its Indices output (flat positions of each window's maximum in X, as ORT computes
/// them with storage_order 0), and g is scatter-added to those positions (overlapping windows accumulate).
/// </summary>
public sealed class MaxPoolBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        if (ctx.Int("storage_order", 0) != 0) throw ctx.Refuse("storage_order 1 is not supported");
        string indices = ctx.ForwardOutput(1, ctx.Output(0) + ".indices");
        return ctx.Emitter.ScatterAddLike(ctx.Input(0), indices, ctx.Gradient);
    }
}
