namespace Shrink.Ops;

/// <summary>Sigmoid: g·y·(1 − y).</summary>
public sealed class SigmoidBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Mul(y, e.Sub(e.Scalar(1), y)));
}
