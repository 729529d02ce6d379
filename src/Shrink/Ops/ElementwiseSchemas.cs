
namespace Shrink.Ops;

/// <summary>Elementwise ops: activations and other one-input maps (channels pass through) and the n-ary ones (channels tie).</summary>
public static class ElementwiseSchemas
{
    /// <summary>One-input elementwise ops: each output channel is a function of the same input channel.</summary>
    public static IReadOnlyList<OpSchema> Unary { get; } =
    [
        PassesThrough(OpTypes.Relu) with { Backward = new ReluBackward() },
        PassesThrough(OpTypes.LeakyRelu) with { Backward = new LeakyReluBackward(), FusesInto = OpTypes.QLinearLeakyRelu },
        // PRelu's slope holds one value per channel (or broadcasts): it is sliced with them.
        PassesThrough(OpTypes.PRelu) with { Backward = new PReluBackward(), HasChannelParameters = true },
        PassesThrough(OpTypes.Sigmoid) with { Backward = new SigmoidBackward(), QdqRole = QdqRole.Fragile, FusesInto = OpTypes.QLinearSigmoid },
        PassesThrough(OpTypes.Tanh) with { Backward = new TanhBackward(), QdqRole = QdqRole.Fragile },
        PassesThrough(OpTypes.Clip) with { Backward = new ClipBackward() },
        PassesThrough(OpTypes.HardSwish) with { Backward = new HardSwishBackward() },
        PassesThrough(OpTypes.HardSigmoid) with { Backward = new HardSigmoidBackward() },
        PassesThrough(OpTypes.Elu),
        PassesThrough(OpTypes.Selu),
        PassesThrough(OpTypes.Celu),
        PassesThrough(OpTypes.Softplus) with { Backward = new SoftplusBackward() },
        PassesThrough(OpTypes.Softsign),
        PassesThrough(OpTypes.Gelu) with { Backward = new GeluBackward(), QdqRole = QdqRole.Fragile },
        PassesThrough(OpTypes.Erf) with { Backward = new ErfBackward(), QdqRole = QdqRole.Fragile },
        PassesThrough(OpTypes.Mish),
        PassesThrough(OpTypes.ThresholdedRelu),
        PassesThrough(OpTypes.Identity) with { Backward = new IdentityBackward() },
        PassesThrough(OpTypes.Neg) with { Backward = new NegBackward() },
        PassesThrough(OpTypes.Abs) with { Backward = new AbsBackward() },
        PassesThrough(OpTypes.Exp) with { Backward = new ExpBackward(), QdqRole = QdqRole.Fragile },
        PassesThrough(OpTypes.Sqrt) with { Backward = new SqrtBackward(), QdqRole = QdqRole.Fragile },
        PassesThrough(OpTypes.Reciprocal) with { Backward = new ReciprocalBackward() },
        PassesThrough(OpTypes.Cast) with { Backward = new CastBackward() },
        PassesThrough(OpTypes.Floor),
        PassesThrough(OpTypes.Ceil),
        PassesThrough(OpTypes.Round),
        PassesThrough(OpTypes.Sin) with { Backward = new SinBackward() },
        PassesThrough(OpTypes.Cos) with { Backward = new CosBackward() },
        // Dropout is random in training mode: never recomputed.
        PassesThrough(OpTypes.Dropout) with { Backward = new IdentityBackward(), Recomputable = false },
        // Log is not followed by pruning (it blocks), but QDQ keeps it in float on purpose.
        new(OpTypes.Log) { Backward = new LogBackward(), QdqRole = QdqRole.Fragile, Recomputable = true },
    ];

    /// <summary>N-ary elementwise ops (with broadcasting): operands' channels are tied into one group.</summary>
    public static IReadOnlyList<OpSchema> Nary { get; } =
    [
        Ties(OpTypes.Add) with { Backward = new ElementwiseBackward(), QdqRole = QdqRole.QuantizedBinary, FusesInto = OpTypes.QLinearAdd },
        Ties(OpTypes.Sub) with { Backward = new ElementwiseBackward(), QdqRole = QdqRole.Fragile },
        Ties(OpTypes.Mul) with { Backward = new ElementwiseBackward(), QdqRole = QdqRole.Fragile, FusesInto = OpTypes.QLinearMul },
        Ties(OpTypes.Div) with { Backward = new ElementwiseBackward(), QdqRole = QdqRole.Fragile },
        Ties(OpTypes.Max) with { Backward = new MinMaxBackward() },
        Ties(OpTypes.Min) with { Backward = new MinMaxBackward() },
        Ties(OpTypes.Sum),
        Ties(OpTypes.Mean),
        Ties(OpTypes.Pow) with { Backward = new PowBackward(), QdqRole = QdqRole.Fragile },
        // Where (a masked_fill): the condition, x and y tie.
        Ties(OpTypes.Where) with { Backward = new WhereBackward(), FusesInto = OpTypes.QLinearWhere },
    ];

    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } = [.. Unary, .. Nary];

    private static OpSchema PassesThrough(string opType) => new(opType) { ChannelFlow = ChannelFlow.PassesThrough, Recomputable = true };

    private static OpSchema Ties(string opType) => new(opType) { ChannelFlow = ChannelFlow.Ties, Recomputable = true };
}
