using Shrink.Methods.Pruning.Dependency;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// <c>l1</c>: the L1 norm of each channel's filters (Li et al., "Pruning Filters for Efficient ConvNets"), summed over the
/// group's producers, plus the consumers' input slices when <see cref="ImportanceContext.IncludeConsumers"/> is set.
/// </summary>
[Registered("l1", "L1 norm of the channel's filters")]
public sealed class L1Importance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "l1";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context) => FilterNorms.Sum(group, context, power: 1);
}
