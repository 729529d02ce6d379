namespace Shrink.Ops;

/// <summary>Sin: g·cos(x).</summary>
public sealed class SinBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Emit(OpTypes.Cos, [x]));
}
