
namespace Shrink.Ops;

/// <summary>Ops that move data without arithmetic: reshapes, transposes, concatenation, splitting, indexing, Shape and Constant.</summary>
public static class ShapeSchemas
{
    /// <summary>The family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        new(OpTypes.Reshape) { Backward = new ReshapeBackward(), ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Flatten) { Backward = new ReshapeBackward(), ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Squeeze) { Backward = new ReshapeBackward(), ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Unsqueeze) { Backward = new ReshapeBackward(), ChannelFlow = ChannelFlow.Reshapes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Transpose) { Backward = new TransposeBackward(), ChannelFlow = ChannelFlow.Permutes, QdqRole = QdqRole.SharesInputScale },
        new(OpTypes.Concat) { Backward = new ConcatBackward(), ChannelFlow = ChannelFlow.Concatenates, QdqRole = QdqRole.OwnOutputScale, FusesInto = OpTypes.QLinearConcat },
        new(OpTypes.Split) { Backward = new SplitBackward(), ChannelFlow = ChannelFlow.Splits },
        new(OpTypes.Gather) { Backward = new IndexingBackward(), ChannelFlow = ChannelFlow.Gathers },
        new(OpTypes.Slice) { Backward = new IndexingBackward(), ChannelFlow = ChannelFlow.Slices },
        new(OpTypes.Tile) { Backward = new TileBackward() },
        new(OpTypes.Resize) { Backward = new ResizeBackward(), ChannelFlow = ChannelFlow.Resamples },
        new(OpTypes.Shape) { ChannelFlow = ChannelFlow.ReadsShape },
        new(OpTypes.Constant),
        // Shape construction and scattering, as the training graph writes them (no channel flow, no gradient rule).
        new(OpTypes.ConstantOfShape),
        new(OpTypes.Expand) { Backward = new ExpandBackward() },
        new(OpTypes.Pad) { Backward = new PadBackward() },
        new(OpTypes.Range),
        new(OpTypes.Size),
        new(OpTypes.NonZero),
        new(OpTypes.OneHot),
        new(OpTypes.ScatterElements),
        new(OpTypes.GatherElements),
    ];
}
