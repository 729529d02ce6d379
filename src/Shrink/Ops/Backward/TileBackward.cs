namespace Shrink.Ops;

/// <summary>
/// Tile: the gradient, of shape [r₀·d₀, r₁·d₁, ...], reshaped to [r₀, d₀, r₁, d₁, ...] (repeats and X's shape interleaved
/// at run time, so computed repeats work) and summed over the repeat axes.
/// </summary>
public sealed class TileBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string x = ctx.Input(0);
        int rank = ctx.RequireRank(x);
        string pairs = e.Emit(OpTypes.Concat, [e.Unsqueeze(ctx.Input(1), [1]), e.Unsqueeze(e.Shape(x), [1])], OnnxAttribute.Int("axis", 1));
        string split = e.Reshape(ctx.Gradient, e.Flatten1D(pairs));
        return e.ReduceSum(split, [.. Enumerable.Range(0, rank).Select(i => 2L * i)], keepDims: false);
    }
}
