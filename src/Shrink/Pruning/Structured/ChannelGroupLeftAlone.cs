namespace Shrink.Pruning.Structured;

/// <summary>A channel group that was not pruned because it could not be proved safe (reported, not an error).</summary>
/// <param name="Group">The group's name.</param>
/// <param name="Channels">Its channels.</param>
/// <param name="Reasons">Why.</param>
public sealed record ChannelGroupLeftAlone(string Group, int Channels, IReadOnlyList<string> Reasons);
