
namespace Shrink.Ops;

/// <summary>MatMul and the integer and 4-bit matrix products ONNX Runtime runs.</summary>
public static class MatMulSchemas
{
    /// <summary>MatMul: A [.., K], B (the weight when constant: [K, N]). Output features are B's axis 1, on the output's last axis.</summary>
    public static OpSchema MatMul { get; } = new(OpTypes.MatMul)
    {
        Layer = LayerKind.MatMul,
        WeightInput = 1,
        WeightOutputAxis = _ => 1,
        WeightInputAxis = _ => 0,
        OutputChannels = (dims, _) => dims[1],
        InputChannels = (dims, _) => dims[0],
        OutputChannelAxis = rank => rank - 1,
        ChannelFlow = ChannelFlow.Produces,
        QdqRole = QdqRole.QuantizedWeights,
        FusesInto = OpTypes.QLinearMatMul,
        CountMacs = ReductionTimesOutput,
        Backward = new MatMulBackward(),
    };

    /// <summary>MatMulInteger: dynamic quantization's integer MatMul.</summary>
    public static OpSchema MatMulInteger { get; } = new(OpTypes.MatMulInteger) { IsIntegerKernel = true, MeansQuantized = true, CountMacs = ReductionTimesOutput };

    /// <summary>QLinearMatMul: static quantization's integer MatMul.</summary>
    public static OpSchema QLinearMatMul { get; } = new(OpTypes.QLinearMatMul) { IsIntegerKernel = true, MeansQuantized = true, CountMacs = ReductionTimesOutput };

    /// <summary>MatMulNBits: ORT's 4-bit weight-only MatMul (com.microsoft); K is an attribute.</summary>
    public static OpSchema MatMulNBits { get; } = new(OpTypes.MatMulNBits, OpDomains.Microsoft)
    {
        IsIntegerKernel = true,
        MeansQuantized = true,
        CountMacs = q => q.OutputCount * q.Attribute("K", 0),
    };

    /// <summary>MatMulIntegerToFloat: ORT's fused MatMulInteger + scale (com.microsoft).</summary>
    public static OpSchema MatMulIntegerToFloat { get; } = new(OpTypes.MatMulIntegerToFloat, OpDomains.Microsoft) { IsIntegerKernel = true, MeansQuantized = true, CountMacs = ReductionTimesOutput };

    /// <summary>DynamicQuantizeMatMul: ORT's dynamic int8 MatMul (com.microsoft).</summary>
    public static OpSchema DynamicQuantizeMatMul { get; } = new(OpTypes.DynamicQuantizeMatMul, OpDomains.Microsoft) { IsIntegerKernel = true, MeansQuantized = true, CountMacs = ReductionTimesOutput };

    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } = [MatMul, MatMulInteger, QLinearMatMul, MatMulNBits, MatMulIntegerToFloat, DynamicQuantizeMatMul];

    // |Y| · K, K the last axis of A.
    private static long ReductionTimesOutput(MacQuery q) => q.InputShape(0) is { Length: > 0 } a ? q.OutputCount * a[^1] : 0;
}
