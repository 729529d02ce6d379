namespace Shrink.Ops;

/// <summary>LogSoftmax along its axis (opset 13 semantics): dx = g − exp(y)·Σ g.</summary>
public sealed class LogSoftmaxBackward : FirstInputBackward
{
    /// <inheritdoc />
    protected override string InputGradient(BackwardContext ctx)
    {
        var e = ctx.Emitter;
        string y = ctx.Output(0), g = ctx.Gradient;
        long axis = ctx.Int("axis", -1);
        return e.Sub(g, e.Mul(e.Emit(OpTypes.Exp, [y]), e.ReduceSum(g, [axis], keepDims: true)));
    }
}
