
namespace Shrink.Ops;

/// <summary>Pooling over spatial axes: channels on axis 1 pass through.</summary>
public static class PoolingSchemas
{
    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        // MaxPool picks values: in uint8 it runs on its input's scale.
        Pools(OpTypes.MaxPool) with { Backward = new MaxPoolBackward(), QdqRole = QdqRole.SharesInputScale },
        Pools(OpTypes.AveragePool) with { Backward = new AveragePoolBackward(), QdqRole = QdqRole.OwnOutputScale, FusesInto = OpTypes.QLinearAveragePool },
        Pools(OpTypes.GlobalAveragePool) with { Backward = new GlobalAveragePoolBackward(), QdqRole = QdqRole.OwnOutputScale, FusesInto = OpTypes.QLinearGlobalAveragePool },
        Pools(OpTypes.GlobalMaxPool) with { Backward = new GlobalMaxPoolBackward() },
        Pools(OpTypes.LpPool),
        Pools(OpTypes.GlobalLpPool),
    ];

    private static OpSchema Pools(string opType) => new(opType) { ChannelFlow = ChannelFlow.Pools };
}
