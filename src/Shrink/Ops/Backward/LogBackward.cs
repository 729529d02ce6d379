namespace Shrink.Ops;

/// <summary>Log: g/x.</summary>
public sealed class LogBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => e.Div(g, x);
}
