namespace Shrink.Ops;

/// <summary>Softmax along its axis (opset 13 semantics): dx = y·(g − Σ g·y).</summary>
public sealed class SoftmaxBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string y = ctx.Output(0), g = ctx.Gradient;
        long axis = ctx.Int("axis", -1);
        return e.Mul(y, e.Sub(g, e.ReduceSum(e.Mul(g, y), [axis], keepDims: true)));
    }
}
