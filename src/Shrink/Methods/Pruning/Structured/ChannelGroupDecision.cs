namespace Shrink.Methods.Pruning.Structured;

/// <summary>What happened to one prunable channel group.</summary>
/// <param name="Group">The group's name (its first producer).</param>
/// <param name="Producers">The nodes whose output channels the group is.</param>
/// <param name="Channels">Channels before (heads, when <paramref name="HeadSize"/> is set).</param>
/// <param name="Kept">Channels kept (heads, when <paramref name="HeadSize"/> is set).</param>
/// <param name="Criterion">The importance criterion that ranked them.</param>
/// <param name="HeadSize">Positions per head when the group's units are attention heads; null for plain channels.</param>
public sealed record ChannelGroupDecision(string Group, IReadOnlyList<string> Producers, int Channels, int Kept, string Criterion, int? HeadSize = null)
{
    /// <summary>The units before, for tables: "128" or "4 heads × 16".</summary>
    public string Unit => HeadSize is int dh ? $"{Channels} heads × {dh}" : Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The units kept, for tables: "96" or "3 heads".</summary>
    public string KeptUnit => HeadSize is null ? Kept.ToString(System.Globalization.CultureInfo.InvariantCulture) : Kept == 1 ? "1 head" : $"{Kept} heads";

    /// <summary>Channels removed.</summary>
    public int Removed => Channels - Kept;
}
