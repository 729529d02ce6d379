namespace Shrink.Ops;

/// <summary>
/// LayerNormalization over the axes from <c>axis</c> on (only its Y output is differentiated), in closed form:
/// x̂ = (x − μ)·r, r = 1/√(σ² + ε); dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·scale; dscale = Σ g·x̂ and
/// dB = Σ g over the leading axes. μ and r are the forward node's own Mean and InvStdDev outputs (the rule asks the
/// forward node to write them: [.., 1] per row, so nothing large is kept), not computed again.
/// </summary>
public sealed class LayerNormalizationBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string x = ctx.Input(0), scale = ctx.Input(1), g = ctx.Gradient;
        long axis = ctx.Int("axis", -1);
        long[] axes = axis < 0
            ? Enumerable.Range((int)axis, (int)-axis).Select(a => (long)a).ToArray()
            : Enumerable.Range((int)axis, ctx.RequireRank(x) - (int)axis).Select(a => (long)a).ToArray();
        for (int i = 1; i < ctx.Node.Outputs.Count; i++)
            if (ctx.OutputGradient(i) is not null) throw ctx.Refuse("only its first output (Y) can be differentiated");

        if (ctx.Node.GetInt("stash_type", 1) != 1) throw ctx.Refuse("only stash_type 1 (float statistics) is supported");
        string mean = ctx.ForwardOutput(1, ctx.Output(0) + ".mean");
        string rstd = ctx.ForwardOutput(2, ctx.Output(0) + ".inv_std_dev");
        string normalized = e.Mul(e.Sub(x, mean), rstd);
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0))
        {
            string gn = e.Mul(g, scale);
            string inner = e.Sub(e.Sub(gn, e.ReduceMean(gn, axes, keepDims: true)), e.Mul(normalized, e.ReduceMean(e.Mul(gn, normalized), axes, keepDims: true)));
            result[0] = e.Mul(rstd, inner);
        }
        if (ctx.NeedsGradient(1)) result[1] = e.ReduceToShapeOf(e.Mul(g, normalized), scale);
        if (ctx.NeedsGradient(2)) result[2] = e.ReduceToShapeOf(g, ctx.Input(2));
        return result;
    }
}
