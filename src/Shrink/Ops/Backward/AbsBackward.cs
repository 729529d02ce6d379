namespace Shrink.Ops;

/// <summary>Abs: g·sign(x) (0 at x = 0).</summary>
public sealed class AbsBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Mul(g, e.Emit(OpTypes.Sign, [x]));
}
