namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// How the channel axis of one value maps to channel groups: the axis is the concatenation of <see cref="Segments"/>
/// (one segment for most values, one per input for a channel Concat), and every channel occupies <see cref="Block"/>
/// consecutive positions along the axis (1, except after an NCHW Flatten or Reshape: channel c then owns the columns
/// c·H·W … c·H·W + H·W − 1, or a head's dh columns). <see cref="Repeats"/> &gt; 1 when the whole run of segments repeats
/// along the axis: a fused q,k,v projection's output is [q heads | k heads | v heads], so head h owns dh positions in
/// each of the three runs.
/// </summary>
/// <param name="Segments">The groups along the axis, in order.</param>
/// <param name="Axis">The channel axis (non-negative).</param>
/// <param name="Rank">The rank of the value.</param>
/// <param name="Block">Positions per channel along the axis.</param>
/// <param name="Repeats">How many times the run of segments repeats along the axis (1 except for fused projections).</param>
public sealed record ChannelLayout(IReadOnlyList<ChannelSegment> Segments, int Axis, int Rank, long Block, int Repeats = 1)
{
    /// <summary>Channels along the axis (before <see cref="Block"/> expansion).</summary>
    public int Channels
    {
        get
        {
            int total = 0;
            foreach (var s in Segments) total += s.Count;
            return total;
        }
    }

    /// <summary>Positions along the axis: channels × block × repeats.</summary>
    public long Extent => Channels * Block * Repeats;

    /// <summary>A layout of one group.</summary>
    public static ChannelLayout Single(int groupId, int count, int axis, int rank) => new([new ChannelSegment(groupId, count)], axis, rank, 1);

    /// <summary>
    /// The positions along the axis that survive when group <c>g</c> keeps the sorted channel indices <c>keep[g]</c>;
    /// null when every position survives.
    /// </summary>
    public int[]? KeptPositions(IReadOnlyList<int[]> keep)
    {
        bool all = true;
        foreach (var s in Segments) all &= keep[s.GroupId].Length == s.Count;
        if (all) return null;
        var positions = new List<int>();
        long run = Channels * Block;
        for (int r = 0; r < Repeats; r++)
        {
            int offset = 0;
            foreach (var s in Segments)
            {
                foreach (int k in keep[s.GroupId])
                    for (long b = 0; b < Block; b++) positions.Add(checked((int)(r * run + (offset + k) * Block + b)));
                offset += s.Count;
            }
        }
        return positions.ToArray();
    }

    /// <summary>The channels left when group <c>g</c> keeps <c>kept[g]</c> channels.</summary>
    public int KeptChannels(IReadOnlyList<int> kept)
    {
        int total = 0;
        foreach (var s in Segments) total += kept[s.GroupId];
        return total;
    }

    /// <summary>The fraction of channels left when group <c>g</c> keeps <c>kept[g]</c> channels.</summary>
    public double KeptFraction(IReadOnlyList<int> kept) => (double)KeptChannels(kept) / Math.Max(1, Channels);

    /// <summary>Whether two layouts have the same axis, rank, block, repeats and segment sizes (so they can be tied channel by channel).</summary>
    public bool SameShape(ChannelLayout other) =>
        Axis == other.Axis && Rank == other.Rank && Block == other.Block && Repeats == other.Repeats && Segments.Count == other.Segments.Count
        && Segments.Zip(other.Segments).All(p => p.First.Count == p.Second.Count);

    /// <summary>This layout with its group ids mapped through <paramref name="map"/>.</summary>
    public ChannelLayout Remap(Func<int, int> map) => this with { Segments = Segments.Select(s => s with { GroupId = map(s.GroupId) }).ToArray() };
}
