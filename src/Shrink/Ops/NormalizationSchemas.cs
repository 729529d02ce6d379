
namespace Shrink.Ops;

/// <summary>Normalizations and reductions: BatchNormalization (per-channel, prunable, foldable), the rest kept in float by QDQ.</summary>
public static class NormalizationSchemas
{
    /// <summary>BatchNormalization: X, scale, B, mean, var (inputs 1–4, one value per channel on axis 1).</summary>
    public static OpSchema BatchNormalization { get; } = new(OpTypes.BatchNormalization)
    {
        ChannelFlow = ChannelFlow.NormalizesPerChannel,
        QdqRole = QdqRole.Fragile,
        Backward = new BatchNormalizationBackward(),
    };

    /// <summary>Softmax: normalizes along its axis (before opset 13, over every axis from it on).</summary>
    public static OpSchema Softmax { get; } = new(OpTypes.Softmax)
    {
        ChannelFlow = ChannelFlow.NormalizesAlongAxis,
        QdqRole = QdqRole.Fragile,
        FusesInto = OpTypes.QLinearSoftmax,
        Backward = new SoftmaxBackward(),
    };

    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        BatchNormalization,
        Softmax,
        new(OpTypes.LogSoftmax) { Backward = new LogSoftmaxBackward(), ChannelFlow = ChannelFlow.NormalizesAlongAxis, QdqRole = QdqRole.Fragile },
        new(OpTypes.LayerNormalization) { Backward = new LayerNormalizationBackward(), QdqRole = QdqRole.Fragile },
        new(OpTypes.InstanceNormalization) { Backward = new InstanceNormalizationBackward(), QdqRole = QdqRole.Fragile },
        new(OpTypes.GroupNormalization) { ChannelFlow = ChannelFlow.NormalizesGroups, QdqRole = QdqRole.Fragile },
        new(OpTypes.SkipLayerNormalization, OpDomains.Microsoft),
        new(OpTypes.SimplifiedLayerNormalization, OpDomains.Microsoft),
        new(OpTypes.SkipSimplifiedLayerNormalization, OpDomains.Microsoft),
        new(OpTypes.RMSNormalization),
        new(OpTypes.ReduceMean) { ChannelFlow = ChannelFlow.Reduces, Backward = new ReduceBackward(), QdqRole = QdqRole.Fragile, FusesInto = OpTypes.QLinearReduceMean },
        new(OpTypes.ReduceSum) { ChannelFlow = ChannelFlow.Reduces, Backward = new ReduceBackward(), QdqRole = QdqRole.Fragile },
    ];
}
