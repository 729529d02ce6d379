namespace Shrink.Ops;

/// <summary>
/// Gelu (opset 20), exact or with <c>approximate="tanh"</c>. Exact: g·(Φ(x) + x·φ(x)) with Φ(x) = (1 + erf(x/√2))/2 and
/// φ(x) = e^(−x²/2)/√(2π). Tanh: with u = √(2/π)·(x + 0.044715·x³) and t = tanh(u),
/// g·(½(1 + t) + ½x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)).
/// </summary>
public sealed class GeluBackward : IBackwardRule
{
    private const double Cubic = 0.044715;

    /// <inheritdoc />
    public IReadOnlyList<string?> Emit(BackwardContext ctx)
    {
        var result = ctx.NoGradients();
        if (!ctx.NeedsGradient(0)) return result;
        var e = ctx.Emitter;
        string x = ctx.Input(0), g = ctx.Gradient;
        string approximate = ctx.Node.GetString("approximate", "none");
        string x2 = e.Mul(x, x);
        string derivative;
        switch (approximate)
        {
            case "none":
                {
                    string cdf = e.Mul(e.Add(e.Emit(OpTypes.Erf, [e.Mul(x, e.Scalar((float)(1 / Math.Sqrt(2))))]), e.Scalar(1)), e.Scalar(0.5f));
                    string pdf = e.Mul(e.Emit(OpTypes.Exp, [e.Mul(x2, e.Scalar(-0.5f))]), e.Scalar((float)(1 / Math.Sqrt(2 * Math.PI))));
                    derivative = e.Add(cdf, e.Mul(x, pdf));
                    break;
                }
            case "tanh":
                {
                    float k = (float)Math.Sqrt(2 / Math.PI);
                    string u = e.Mul(e.Mul(x, e.Add(e.Mul(x2, e.Scalar((float)Cubic)), e.Scalar(1))), e.Scalar(k));
                    string t = e.Emit(OpTypes.Tanh, [u]);
                    string du = e.Mul(e.Add(e.Mul(x2, e.Scalar((float)(3 * Cubic))), e.Scalar(1)), e.Scalar(k));
                    string half = e.Mul(e.Add(t, e.Scalar(1)), e.Scalar(0.5f));
                    derivative = e.Add(half, e.Mul(e.Mul(e.Mul(x, e.Scalar(0.5f)), e.Sub(e.Scalar(1), e.Mul(t, t))), du));
                    break;
                }
            default:
                throw ctx.Refuse($"approximate \"{approximate}\" is not one of \"none\" and \"tanh\"");
        }
        result[0] = e.Mul(g, derivative);
        return result;
    }
}
