namespace Shrink.Ops;

/// <summary>Tanh: g·(1 − y²).</summary>
public sealed class TanhBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Sub(e.Scalar(1), e.Mul(y, y)));
}
