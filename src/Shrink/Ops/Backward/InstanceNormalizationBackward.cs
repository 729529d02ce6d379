namespace Shrink.Ops;

/// <summary>
/// InstanceNormalization of X [N, C, spatial...] over the spatial axes per sample and channel, scale and B of shape [C]:
/// the closed form of <see cref="LayerNormalizationBackward"/> over the spatial axes with the statistics recomputed,
/// x̂ = (x − μ)·r, r = 1/√(σ² + ε); dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·scale; dscale = Σ g·x̂ and dB = Σ g
/// over the batch and spatial axes.
/// </summary>
public sealed class InstanceNormalizationBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string x = ctx.Input(0), scale = ctx.Input(1), g = ctx.Gradient;
        int rank = ctx.RequireRank(x);
        if (rank < 3) throw ctx.Refuse($"its input has rank {rank}; expected [N, C, spatial...]");
        float epsilon = ctx.Node.GetFloat("epsilon", 1e-5f);
        long[] spatial = [.. Enumerable.Range(2, rank - 2).Select(a => (long)a)];
        long[] channelAxes = [.. Enumerable.Range(1, rank - 2).Select(a => (long)a)]; // [C] → [C, 1, ...] broadcasts on axis 1

        string centered = e.Sub(x, e.ReduceMean(x, spatial, keepDims: true));
        string variance = e.ReduceMean(e.Mul(centered, centered), spatial, keepDims: true);
        string rstd = e.Emit(OpTypes.Reciprocal, [e.Emit(OpTypes.Sqrt, [e.Add(variance, e.Scalar(epsilon))])]);
        string normalized = e.Mul(centered, rstd);
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0))
        {
            string gn = e.Mul(g, e.Unsqueeze(scale, channelAxes));
            string inner = e.Sub(e.Sub(gn, e.ReduceMean(gn, spatial, keepDims: true)), e.Mul(normalized, e.ReduceMean(e.Mul(gn, normalized), spatial, keepDims: true)));
            result[0] = e.Mul(rstd, inner);
        }
        long[] perChannel = [0, .. spatial];
        if (ctx.NeedsGradient(1)) result[1] = e.ReduceSum(e.Mul(g, normalized), perChannel, keepDims: false);
        if (ctx.NeedsGradient(2)) result[2] = e.ReduceSum(g, perChannel, keepDims: false);
        return result;
    }
}
