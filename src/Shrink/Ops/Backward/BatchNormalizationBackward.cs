namespace Shrink.Ops;

/// <summary>
/// BatchNormalization in inference form, Y = (X − mean)·r·scale + B with r = 1/√(var + ε) per channel (axis 1): dX = g·scale·r;
/// dscale = Σ g·(X − mean)·r, dB = Σ g, dmean = −Σ g·scale·r and dvar = −½·Σ g·(X − mean)·scale·r³ over the batch and
/// spatial axes (so running statistics chosen as parameters get gradients too). Training mode (training_mode = 1, or the
/// running statistics asked as outputs) is refused.
/// </summary>
public sealed class BatchNormalizationBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        if (ctx.Int("training_mode", 0) != 0) throw ctx.Refuse("training_mode = 1 (batch statistics) is not supported; only the inference form is");
        if (ctx.Node.Outputs.Skip(1).Any(o => o.Length > 0)) throw ctx.Refuse("it computes running statistics (training mode); only the inference form is supported");
        var e = ctx.Emitter;
        string x = ctx.Input(0), scale = ctx.Input(1), mean = ctx.Input(3), g = ctx.Gradient;
        int rank = ctx.RequireRank(x);
        if (rank < 2) throw ctx.Refuse($"its input has rank {rank}; expected [N, C, ...]");
        float epsilon = ctx.Node.GetFloat("epsilon", 1e-5f);
        long[] channelAxes = [.. Enumerable.Range(1, rank - 2).Select(a => (long)a)]; // [C] → [C, 1, ...] broadcasts on axis 1
        long[] perChannel = [0, .. Enumerable.Range(2, rank - 2).Select(a => (long)a)];
        string Broadcast(string perChannelValue) => channelAxes.Length == 0 ? perChannelValue : e.Unsqueeze(perChannelValue, channelAxes);

        string rstd = e.Emit(OpTypes.Reciprocal, [e.Emit(OpTypes.Sqrt, [e.Add(ctx.Input(4), e.Scalar(epsilon))])]);
        string factor = e.Mul(scale, rstd);
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0)) result[0] = e.Mul(g, Broadcast(factor));
        string? gCentered = ctx.NeedsGradient(1) || ctx.NeedsGradient(4) ? e.ReduceSum(e.Mul(g, e.Sub(x, Broadcast(mean))), perChannel, keepDims: false) : null;
        string? gSum = ctx.NeedsGradient(2) || ctx.NeedsGradient(3) ? e.ReduceSum(g, perChannel, keepDims: false) : null;
        if (ctx.NeedsGradient(1)) result[1] = e.Mul(gCentered!, rstd);
        if (ctx.NeedsGradient(2)) result[2] = gSum;
        if (ctx.NeedsGradient(3)) result[3] = e.Neg(e.Mul(gSum!, factor));
        if (ctx.NeedsGradient(4)) result[4] = e.Mul(e.Mul(gCentered!, e.Mul(factor, e.Mul(rstd, rstd))), e.Scalar(-0.5f));
        return result;
    }
}
