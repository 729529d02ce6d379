namespace Shrink.Ops;

/// <summary>
/// ReduceSum and ReduceMean (axes as attribute or constant input, keepdims, every axis when none): the gradient, with the
/// reduced axes restored, expanded to the input's shape (ReduceMean: divided by the count of elements reduced).
/// </summary>
public sealed class ReduceBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string x = ctx.Input(0), g = ctx.Gradient;
        IReadOnlyList<long>? axes = ctx.Ints("axes");
        if (ctx.HasInput(1)) axes = ctx.ConstantInts(ctx.Input(1)) ?? throw ctx.Refuse("its axes are computed; only constant axes are supported");
        bool keepDims = ctx.Int("keepdims", 1) != 0;
        if ((axes is null || axes.Count == 0) && ctx.Int("noop_with_empty_axes", 0) != 0)
        {
            result[0] = g;
            return result;
        }
        // Unsqueeze's axes count in its output's rank, which is the input's: the reduced axes, as the node wrote them.
        if (!keepDims && axes is { Count: > 0 }) g = e.Unsqueeze(g, axes);
        string expanded = e.Emit(OpTypes.Expand, [g, e.Shape(x)]);
        result[0] = ctx.Node.OpType == OpTypes.ReduceMean ? e.Div(expanded, e.Div(e.SizeAsFloat(x), e.SizeAsFloat(ctx.Output(0)))) : expanded;
        return result;
    }
}
