
namespace Shrink.Ops;

/// <summary>Convolutions: Conv, ConvTranspose and the integer convolutions ONNX Runtime runs.</summary>
public static class ConvSchemas
{
    /// <summary>Conv: X, W [M, C/group, k...], optional B [M]. Output channels are W's axis 0; it reads W's axis 1 (per group).</summary>
    public static OpSchema Conv { get; } = new(OpTypes.Conv)
    {
        Layer = LayerKind.Convolution,
        WeightInput = 1,
        BiasInput = 2,
        WeightOutputAxis = _ => 0,
        WeightInputAxis = _ => 1,
        OutputChannels = (dims, _) => dims[0],
        InputChannels = (dims, attribute) => dims[1] * attribute("group", 1),
        OutputChannelAxis = _ => 1,
        FoldsBatchNormalization = true,
        ChannelFlow = ChannelFlow.Produces,
        QdqRole = QdqRole.QuantizedWeights,
        FusesInto = OpTypes.QLinearConv,
        CountMacs = q => WeightTimesOutput(q, 1),
        Backward = new ConvBackward(),
    };

    /// <summary>
    /// ConvTranspose: X, W [C, M/group, k...], optional B [M]. Output channels are W's axis 1 (per group: M = dims[1] · group);
    /// it reads W's axis 0. ORT has no integer kernel for it, so QDQ leaves it in float.
    /// </summary>
    public static OpSchema ConvTranspose { get; } = new(OpTypes.ConvTranspose)
    {
        Layer = LayerKind.TransposedConvolution,
        WeightInput = 1,
        BiasInput = 2,
        WeightOutputAxis = _ => 1,
        WeightInputAxis = _ => 0,
        OutputChannels = (dims, attribute) => dims[1] * attribute("group", 1),
        InputChannels = (dims, _) => dims[0],
        OutputChannelAxis = _ => 1,
        FoldsBatchNormalization = true,
        ChannelFlow = ChannelFlow.Produces,
        // Every input element meets every weight of its input channel: |X| · Π W[1..].
        CountMacs = q => q.InputShape(0) is { } x && q.InputShape(1) is { } w ? MacQuery.Product(x) * MacQuery.Product(w.AsSpan(1)) : 0,
    };

    /// <summary>ConvInteger: the integer Conv of dynamic quantization (weight input 1).</summary>
    public static OpSchema ConvInteger { get; } = new(OpTypes.ConvInteger)
    {
        IsIntegerKernel = true,
        MeansQuantized = true,
        CountMacs = q => WeightTimesOutput(q, 1),
    };

    /// <summary>QLinearConv: x, x_scale, x_zero_point, w (input 3), ...</summary>
    public static OpSchema QLinearConv { get; } = new(OpTypes.QLinearConv)
    {
        IsIntegerKernel = true,
        MeansQuantized = true,
        CountMacs = q => WeightTimesOutput(q, 3),
    };

    /// <summary>NhwcQLinearConv: ORT's channels-last QLinearConv (com.microsoft).</summary>
    public static OpSchema NhwcQLinearConv { get; } = new(OpTypes.NhwcQLinearConv, OpDomains.Microsoft) { IsIntegerKernel = true };

    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } = [Conv, ConvTranspose, ConvInteger, QLinearConv, NhwcQLinearConv];

    // Each output element reads C/group · Πk inputs: |Y| · Π W[1..].
    private static long WeightTimesOutput(MacQuery q, int weightInput) =>
        q.InputShape(weightInput) is { } w ? q.OutputCount * MacQuery.Product(w.AsSpan(1)) : 0;
}
