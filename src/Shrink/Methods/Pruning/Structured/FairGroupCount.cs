namespace Shrink.Methods.Pruning.Structured;

/// <summary>What the fair schedule decided for one channel group.</summary>
/// <param name="Group">The group's name (its first producer).</param>
/// <param name="Channels">Channels before.</param>
/// <param name="TodCount">Channels the tolerance of difference allows to remove at the chosen α (the largest k with ToD(k) ≤ α).</param>
/// <param name="Tod">ToD at that count: the fraction of the removed units that rank among the most important by reconstruction.</param>
/// <param name="Kept">Channels kept after rounding to the channel multiple and the per-group floor.</param>
public sealed record FairGroupCount(string Group, int Channels, int TodCount, double Tod, int Kept);
