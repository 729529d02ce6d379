namespace Shrink.Ops;

/// <summary>Ops that move data without arithmetic: reshapes, transposes, concatenation, splitting, indexing, Shape and Constant.</summary>
public static class ShapeSchemas
{
    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        new(OpTypes.Reshape) { ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Flatten) { ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Squeeze) { ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Unsqueeze) { ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Transpose) { ChannelFlow = ChannelFlow.Permutes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Concat) { ChannelFlow = ChannelFlow.Concatenates, QdqRole = QdqRole.OwnOutputScale, FusesInto = OpTypes.QLinearConcat },
        new(OpTypes.Split) { ChannelFlow = ChannelFlow.Splits },
        new(OpTypes.Gather) { ChannelFlow = ChannelFlow.Gathers },
        new(OpTypes.Slice) { ChannelFlow = ChannelFlow.Slices },
        new(OpTypes.Shape) { ChannelFlow = ChannelFlow.ReadsShape },
        new(OpTypes.Constant),
    ];
}
