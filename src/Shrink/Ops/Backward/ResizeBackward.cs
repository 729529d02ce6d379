namespace Shrink.Ops;

/// <summary>
/// Resize in nearest mode by constant integer scales where each output element copies the input element of its block
/// (coordinate_transformation_mode asymmetric with nearest_mode floor, what PyTorch's nearest upsampling exports; or
/// half_pixel/pytorch_half_pixel with either round mode): the gradient, of shape [s₀·d₀, s₁·d₁, ...], reshaped to
/// [d₀, s₀, d₁, s₁, ...] and summed over the scale axes. Other modes (linear, cubic), other coordinate or rounding modes,
/// fractional scales and sizes given instead of scales are refused.
/// </summary>
public sealed class ResizeBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        for (int i = 1; i < ctx.Node.Inputs.Count; i++)
            if (ctx.NeedsGradient(i)) throw ctx.Refuse($"its input {i} ('{ctx.Input(i)}') depends on a parameter");
        if (!ctx.NeedsGradient(0)) return result;
        string mode = ctx.Node.GetString("mode", "nearest");
        if (mode != "nearest") throw ctx.Refuse($"only mode nearest is supported (mode = {mode})");
        string coordinates = ctx.Node.GetString("coordinate_transformation_mode", "half_pixel");
        string rounding = ctx.Node.GetString("nearest_mode", "round_prefer_floor");
        bool blocks = coordinates switch
        {
            "asymmetric" => rounding == "floor",
            "half_pixel" or "pytorch_half_pixel" => rounding is "round_prefer_floor" or "round_prefer_ceil",
            _ => false,
        };
        if (!blocks)
            throw ctx.Refuse($"coordinate_transformation_mode {coordinates} with nearest_mode {rounding} does not copy whole blocks; supported: asymmetric with floor, half_pixel or pytorch_half_pixel with round_prefer_floor or round_prefer_ceil");
        if (ctx.HasInput(3) && !ctx.HasInput(2)) throw ctx.Refuse("it is given sizes; only constant scales are supported");
        if (!ctx.HasInput(2)) throw ctx.Refuse("it has no scales input");
        float[] scales = ctx.ConstantFloats(ctx.Input(2)) ?? throw ctx.Refuse("its scales are computed; only constant scales are supported");
        string x = ctx.Input(0);
        int rank = ctx.Rank(x) ?? scales.Length;
        var axes = ctx.Ints("axes") is { Count: > 0 } given ? given.Select(a => a < 0 ? a + rank : a).ToArray() : Enumerable.Range(0, rank).Select(a => (long)a).ToArray();
        if (axes.Length != scales.Length) throw ctx.Refuse($"it has {scales.Length} scales for {axes.Length} axes");
        var factors = new long[rank];
        Array.Fill(factors, 1);
        for (int i = 0; i < axes.Length; i++)
        {
            float s = scales[i];
            if (s < 1 || s != MathF.Round(s)) throw ctx.Refuse($"scale {s} on axis {axes[i]} is not a whole number of at least 1");
            factors[axes[i]] = (long)s;
        }
        var e = ctx.Emitter;
        if (factors.All(f => f == 1))
        {
            result[0] = ctx.Gradient;
            return result;
        }
        // [d₀, s₀, d₁, s₁, ...]: X's shape interleaved with the factors at run time.
        string pairs = e.Emit(OpTypes.Concat, [e.Unsqueeze(e.Shape(x), [1]), e.Unsqueeze(e.Ints(factors), [1])], OnnxAttribute.Int("axis", 1));
        string split = e.Reshape(ctx.Gradient, e.Flatten1D(pairs));
        result[0] = e.ReduceSum(split, [.. Enumerable.Range(0, rank).Select(i => 2L * i + 1)], keepDims: false);
        return result;
    }
}
