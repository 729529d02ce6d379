namespace Shrink.Ops;

/// <summary>Concat: the gradient split along the axis into the inputs' sizes (read at run time).</summary>
public sealed class ConcatBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        var result = ctx.NoGradients();
        int n = ctx.Node.Inputs.Count;
        if (!Enumerable.Range(0, n).Any(ctx.NeedsGradient)) return result;
        long axis = ctx.Int("axis", 0);
        var sizes = Enumerable.Range(0, n).Select(i => axis == -1 ? e.ShapeSlice(ctx.Input(i), -1) : e.ShapeSlice(ctx.Input(i), axis, axis + 1)).ToArray();
        string split = e.Emit(OpTypes.Concat, sizes, OnnxAttribute.Int("axis", 0));
        var parts = e.EmitMany(OpTypes.Split, [ctx.Gradient, split], n, OnnxAttribute.Int("axis", axis));
        for (int i = 0; i < n; i++) if (ctx.NeedsGradient(i)) result[i] = parts[i];
        return result;
    }
}
