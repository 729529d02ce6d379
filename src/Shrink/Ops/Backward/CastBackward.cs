namespace Shrink.Ops.Backward;

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
        result[0] = ctx.Emitter.Emit(OpTypes.Cast, [ctx.Gradient], OnnxAttribute.Int("to", (long)Model.ElementType.Float));
        return result;
    }

    /// <summary>Whether an ONNX element type code is a float type (float, float16, double, bfloat16).</summary>
    public static bool IsFloat(long type) =>
        (Model.ElementType)type is Model.ElementType.Float or Model.ElementType.Float16 or Model.ElementType.Double or Model.ElementType.BFloat16;
}
