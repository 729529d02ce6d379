namespace Shrink.Ops;

/// <summary>Cos: −g·sin(x).</summary>
public sealed class CosBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Neg(e.Mul(g, e.Emit(OpTypes.Sin, [x])));
}
