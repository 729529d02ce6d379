namespace Shrink.Ops;

/// <summary>Neg: −g.</summary>
public sealed class NegBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Neg(g);
}
