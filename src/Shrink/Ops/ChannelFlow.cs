namespace Shrink.Ops;

/// <summary>
/// How the channels of an op's input reach its output: the dependency rule structured pruning applies at the op (after
/// Torch-Pruning's per-op rules). Ops without a rule block: channels that reach them are not pruned.
/// </summary>
public enum ChannelFlow
{
    /// <summary>Not understood: channels that reach the op are left alone, with the reason.</summary>
    Blocks,

    /// <summary>A weighted op: reads the channels through its weight's input axis and creates a new group on its output axis (see <see cref="LayerKind"/>).</summary>
    Produces,

    /// <summary>Elementwise on one input (activations, Cast, Dropout): the output has the input's channels.</summary>
    PassesThrough,

    /// <summary>Elementwise on several inputs (Add, Mul, Where...): the operands' channels are tied into one group.</summary>
    Ties,

    /// <summary>BatchNormalization: per-channel parameters on axis 1 that are sliced with the channels.</summary>
    NormalizesPerChannel,

    /// <summary>Pooling over spatial axes: channels on axis 1 pass through.</summary>
    Pools,

    /// <summary>Flatten, Reshape, Squeeze, Unsqueeze: data order kept, channels pass when they stay whole (as blocks).</summary>
    Reshapes,

    /// <summary>Transpose: channels move to the permuted axis.</summary>
    Permutes,

    /// <summary>Concat: along the channel axis the inputs' channels become segments; along another axis they are tied.</summary>
    Concatenates,

    /// <summary>Split: parts along another axis keep the channels; a fused projection's runs split into their parts.</summary>
    Splits,

    /// <summary>Gather of constant indices along another axis: channels stay whole on a shifted axis.</summary>
    Gathers,

    /// <summary>Slice along other axes: channels stay whole.</summary>
    Slices,

    /// <summary>Softmax/LogSoftmax: channels on an axis before the normalized one stay independent.</summary>
    NormalizesAlongAxis,

    /// <summary>Shape: reading the other dims is harmless; reading the channel count needs an edit.</summary>
    ReadsShape,

    /// <summary>Resize (and Upsample, which preparation turns into Resize): channels pass through when the scale of their axis is 1.</summary>
    Resamples,
    /// <summary>GroupNormalization: channels on axis 1 pass through, removable only in whole groups (num_groups and the scale and bias are cut with them).</summary>
    NormalizesGroups,

    /// <summary>ReduceSum/ReduceMean: reducing other axes keeps the channels (on an axis that moves when keepdims is 0); reducing the channel axis blocks.</summary>
    Reduces,
}
