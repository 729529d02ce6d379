
namespace Shrink.Ops;

/// <summary>Gemm (Y = alpha·op(A)·op(B) + beta·C) and ORT's integer QGemm.</summary>
public static class GemmSchemas
{
    /// <summary>Whether a Gemm reads A transposed (transA = 1).</summary>
    public static bool TransA(IntAttribute attribute) => attribute("transA", 0) != 0;

    /// <summary>Whether a Gemm reads B transposed (transB = 1): B is then stored [N, K].</summary>
    public static bool TransB(IntAttribute attribute) => attribute("transB", 0) != 0;

    /// <summary>
    /// Gemm: A, B (the weight: [K, N], or [N, K] with transB), optional C. Output features are B's axis 0 with transB,
    /// else 1; the reduction is the other axis.
    /// </summary>
    public static OpSchema Gemm { get; } = new(OpTypes.Gemm)
    {
        Layer = LayerKind.Gemm,
        WeightInput = 1,
        BiasInput = 2,
        WeightOutputAxis = attribute => TransB(attribute) ? 0 : 1,
        WeightInputAxis = attribute => TransB(attribute) ? 1 : 0,
        ReadsInputTransposed = TransA,
        OutputChannels = (dims, attribute) => dims[TransB(attribute) ? 0 : 1],
        InputChannels = (dims, attribute) => dims[TransB(attribute) ? 1 : 0],
        OutputChannelAxis = rank => rank - 1,
        FoldsBatchNormalization = true,
        ChannelFlow = ChannelFlow.Produces,
        QdqRole = QdqRole.QuantizedWeights,
        FusesInto = OpTypes.QGemm,
        // |Y| · K, K read from A ([M, K], or [K, M] with transA).
        CountMacs = q => q.InputShape(0) is { Length: 2 } a ? q.OutputCount * (TransA(q.Attribute) ? a[0] : a[1]) : 0,
        Backward = new GemmBackward(),
    };

    /// <summary>QGemm: ORT's integer Gemm (com.microsoft).</summary>
    public static OpSchema QGemm { get; } = new(OpTypes.QGemm, OpDomains.Microsoft) { IsIntegerKernel = true, MeansQuantized = true };

    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } = [Gemm, QGemm];
}
