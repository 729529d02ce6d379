namespace Shrink.Ops;

/// <summary>Relu: g where y > 0, else 0.</summary>
public sealed class ReluBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Emit(OpTypes.Where, [e.Emit(OpTypes.Greater, [y, e.Scalar(0)]), g, e.Scalar(0)]);
}
