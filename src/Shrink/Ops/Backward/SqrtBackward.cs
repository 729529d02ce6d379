namespace Shrink.Ops;

/// <summary>Sqrt: g·0.5/y.</summary>
public sealed class SqrtBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Div(e.Mul(g, e.Scalar(0.5f)), y);
}
