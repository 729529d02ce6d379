namespace Shrink.Ops;

/// <summary>Reciprocal y = 1/x: −g·y².</summary>
public sealed class ReciprocalBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Neg(e.Mul(g, e.Mul(y, y)));
}
