namespace Shrink.Ops;

/// <summary>
/// Cast between float types: the gradient cast back to float. Casts to integer types carry no gradient (the graph walk
/// stops at them), so the rule only meets float targets.
/// </summary>
public sealed class CastBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        long to = ctx.Int("to", 0);
        if (!IsFloat(to)) throw ctx.Refuse($"only casts to float types are differentiable (to = {to})");
        result[0] = ctx.Emitter.Emit(OpTypes.Cast, [ctx.Gradient], OnnxAttribute.Int("to", 1));
        return result;
    }

    /// <summary>Whether an ONNX element type code is a float type (float, float16, double, bfloat16).</summary>
    public static bool IsFloat(long type) => type is 1 or 10 or 11 or 16; // FLOAT, FLOAT16, DOUBLE, BFLOAT16
}
