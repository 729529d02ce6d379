namespace Shrink.Ops;

/// <summary>HardSwish y = x·max(0, min(1, x/6 + 1/2)): 0 below −3, g above 3, g·(x/3 + 1/2) between.</summary>
public sealed class HardSwishBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y)
    {
        string middle = e.Mul(g, e.Add(e.Mul(x, e.Scalar(1f / 3)), e.Scalar(0.5f)));
        string upper = e.Emit(OpTypes.Where, [e.Emit(OpTypes.Greater, [x, e.Scalar(3)]), g, middle]);
        return e.Emit(OpTypes.Where, [e.Emit(OpTypes.Less, [x, e.Scalar(-3)]), e.Scalar(0), upper]);
    }
}
