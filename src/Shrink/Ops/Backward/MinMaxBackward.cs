namespace Shrink.Ops;

/// <summary>
/// Min and Max (elementwise over one or more inputs, with broadcasting): the gradient goes to the input that gives the
/// output, reduced to its shape. Ties go to the first such input in input order (not split): where several inputs equal
/// the result, only the earliest gets the gradient, so the gradients always sum to the output's.
/// </summary>
public sealed class MinMaxBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        var result = ctx.NoGradients();
        string g = ctx.Gradient, y = ctx.Output(0), zero = e.Scalar(0);
        int last = Enumerable.Range(0, ctx.Node.Inputs.Count).LastOrDefault(ctx.NeedsGradient, -1);
        string? taken = null; // where an earlier input already gave the result
        for (int k = 0; k <= last; k++)
        {
            if (!ctx.HasInput(k)) continue;
            string x = ctx.Input(k);
            string gives = e.Emit(OpTypes.Equal, [x, y]);
            string mine = taken is null ? gives : e.Emit(OpTypes.And, [gives, e.Emit(OpTypes.Not, [taken])]);
            if (ctx.NeedsGradient(k)) result[k] = e.ReduceToShapeOf(e.Emit(OpTypes.Where, [mine, g, zero]), x);
            if (k < last) taken = taken is null ? gives : e.Emit(OpTypes.Or, [taken, gives]);
        }
        return result;
    }
}
