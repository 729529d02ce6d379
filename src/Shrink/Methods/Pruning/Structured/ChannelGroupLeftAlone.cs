namespace Shrink.Methods.Pruning.Structured;

/// <summary>A channel group that was not pruned because it could not be proved safe (reported, not an error).</summary>
/// <param name="Group">The group's name.</param>
/// <param name="Channels">Its channels (heads, when <paramref name="HeadSize"/> is set).</param>
/// <param name="Reasons">Why.</param>
/// <param name="HeadSize">Positions per head when the group's units are attention heads; null for plain channels.</param>
public sealed record ChannelGroupLeftAlone(string Group, int Channels, IReadOnlyList<string> Reasons, int? HeadSize = null)
{
    /// <summary>The units, for tables: "128" or "4 heads × 16".</summary>
    public string Unit => HeadSize is int dh ? $"{Channels} heads × {dh}" : Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
