namespace Shrink.Pruning.Structured;

/// <summary>What happened to one prunable channel group.</summary>
/// <param name="Group">The group's name (its first producer).</param>
/// <param name="Producers">The nodes whose output channels the group is.</param>
/// <param name="Channels">Channels before.</param>
/// <param name="Kept">Channels kept.</param>
/// <param name="Criterion">The importance criterion that ranked them.</param>
public sealed record ChannelGroupDecision(string Group, IReadOnlyList<string> Producers, int Channels, int Kept, string Criterion)
{
    /// <summary>Channels removed.</summary>
    public int Removed => Channels - Kept;
}
