using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>What a <see cref="ChannelAttributeEdit"/> rewrites.</summary>
public enum ChannelAttributeKind
{
    /// <summary>The <c>group</c> attribute of a depthwise Conv: it becomes the number of channels kept.</summary>
    DepthwiseGroup,

    /// <summary>One entry of a Reshape's constant shape: it becomes kept channels × block × repeats.</summary>
    ReshapeShape,

    /// <summary>
    /// One input of the Concat that computes a Reshape's shape (Shape/Gather/Unsqueeze/Slice pieces and constants, as
    /// PyTorch exports <c>x.reshape(B, T, H, dh)</c>): the piece is replaced by a new constant whose entry
    /// <see cref="ChannelAttributeEdit.Element"/> is kept channels × block × repeats (the rest copied from the old constant).
    /// </summary>
    ShapeConcatInput,

    /// <summary>
    /// The constant <c>split</c> sizes of a Split that cuts a fused q,k,v projection into its parts: a new constant whose
    /// every entry is kept heads × head size replaces input <see cref="ChannelAttributeEdit.Index"/> of the Split.
    /// </summary>
    SplitSizes,

    /// <summary>The <c>num_groups</c> attribute of a GroupNormalization: it becomes the groups kept (kept channels × block, the layout counting groups).</summary>
    GroupCount,

    /// <summary>
    /// One entry of a Resize's constant <c>sizes</c> (input 3), the channel axis's: it becomes kept channels × block ×
    /// repeats, in a copy of the constant.
    /// </summary>
    ResizeSizes,
}

/// <summary>A non-weight edit that removing channels requires.</summary>
/// <param name="Kind">What is rewritten.</param>
/// <param name="Node">The node (for <see cref="ChannelAttributeKind.ShapeConcatInput"/>, the Concat that builds the shape).</param>
/// <param name="Layout">The channels whose kept count sets the new value.</param>
/// <param name="ShapeTensor">For <see cref="ChannelAttributeKind.ReshapeShape"/>: the int64 shape initializer; for
/// <see cref="ChannelAttributeKind.ResizeSizes"/>: the int64 sizes initializer; for
/// <see cref="ChannelAttributeKind.SplitSizes"/>: the int64 sizes initializer.</param>
/// <param name="Index">For <see cref="ChannelAttributeKind.ReshapeShape"/> and <see cref="ChannelAttributeKind.ResizeSizes"/>: the entry to rewrite; for
/// <see cref="ChannelAttributeKind.ShapeConcatInput"/>: the input of <paramref name="Node"/> (the Concat) to replace; for
/// <see cref="ChannelAttributeKind.SplitSizes"/>: the Split's sizes input.</param>
/// <param name="Element">For <see cref="ChannelAttributeKind.ShapeConcatInput"/>: the entry inside that input (0 for a
/// one-element piece; <paramref name="ShapeTensor"/> then names the constant piece, null for a computed one).</param>
public sealed record ChannelAttributeEdit(ChannelAttributeKind Kind, Node Node, ChannelLayout Layout, string? ShapeTensor = null, int Index = 0, int Element = 0);
