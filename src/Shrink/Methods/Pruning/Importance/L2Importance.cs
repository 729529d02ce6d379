using Shrink.Methods.Pruning.Dependency;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary><c>l2</c>: the L2 norm of each channel's filters over the group's producers (and consumers' input slices when asked).</summary>
[Registered("l2", "L2 norm of the channel's filters", Order = 1)]
public sealed class L2Importance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "l2";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context)
    {
        var squares = FilterNorms.Sum(group, context, power: 2);
        for (int c = 0; c < squares.Length; c++) squares[c] = Math.Sqrt(squares[c]);
        return squares;
    }
}
