namespace Shrink.Ops;

/// <summary>
/// A one-input elementwise op whose derivative is a function of its input x, output y and output gradient g: the rule
/// is that function, written with the emitter (e.g. Tanh: g·(1 − y²)).
/// </summary>
public abstract class UnaryBackward : IBackwardRule
{
    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (ctx.NeedsGradient(0)) result[0] = InputGradient(ctx.Emitter, ctx.Gradient, ctx.Input(0), ctx.Output(0));
        return result;
    }

    /// <summary>The gradient of the input from the output gradient <paramref name="g"/>, input <paramref name="x"/> and output <paramref name="y"/>.</summary>
    protected abstract string InputGradient(GraphEmitter e, string g, string x, string y);
}
