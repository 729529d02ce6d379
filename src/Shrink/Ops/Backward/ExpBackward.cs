namespace Shrink.Ops;

/// <summary>Exp: g·y.</summary>
public sealed class ExpBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, y);
}
