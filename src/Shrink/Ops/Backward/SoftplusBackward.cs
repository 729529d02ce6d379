namespace Shrink.Ops;

/// <summary>Softplus y = log(1 + eˣ): g·sigmoid(x).</summary>
public sealed class SoftplusBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Emit(OpTypes.Sigmoid, [x]));
}
