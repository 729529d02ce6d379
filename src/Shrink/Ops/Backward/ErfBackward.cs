namespace Shrink.Ops;

/// <summary>Erf: g·2/√π·exp(−x²).</summary>
public sealed class ErfBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Mul(e.Scalar((float)(2 / Math.Sqrt(Math.PI))), e.Emit(OpTypes.Exp, [e.Neg(e.Mul(x, x))])));
}
