namespace Shrink.Ops;

/// <summary>Quantize/dequantize ops and ONNX Runtime's integer kernels that are not a convolution or a matrix product.</summary>
public static class QuantizationSchemas
{
    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        new(OpTypes.QuantizeLinear) { MeansQuantized = true },
        new(OpTypes.DequantizeLinear) { MeansQuantized = true },
        new(OpTypes.DynamicQuantizeLinear) { MeansQuantized = true },
        Kernel(OpTypes.QLinearAdd) with { MeansQuantized = true },
        Kernel(OpTypes.QLinearMul) with { MeansQuantized = true },
        Kernel(OpTypes.QLinearGlobalAveragePool) with { MeansQuantized = true },
        Kernel(OpTypes.QLinearAveragePool),
        Kernel(OpTypes.QLinearConcat),
        Kernel(OpTypes.QLinearSigmoid),
        Kernel(OpTypes.QLinearLeakyRelu),
        Kernel(OpTypes.QLinearSoftmax),
        Kernel(OpTypes.QLinearWhere),
        Kernel(OpTypes.QLinearReduceMean),
        Kernel(OpTypes.QAttention),
        new(OpTypes.GatherBlockQuantized, OpDomains.Microsoft) { MeansQuantized = true },
    ];

    private static OpSchema Kernel(string opType) => new(opType, OpDomains.Microsoft) { IsIntegerKernel = true };
}
