namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// Channels that must be removed together: channel c of the group is output channel c of every producer (tied by
/// residual Add/Mul), input channel c (at the group's offset) of every consumer, and channel c of every BatchNormalization,
/// activation and per-channel constant in between. When the group's units are attention heads (<see cref="HeadSize"/> set),
/// "channel" c is head c: its q, k and v columns in the projections and its rows of the output projection go together.
/// </summary>
public sealed class ChannelGroup
{
    internal ChannelGroup(int id, int size, IReadOnlyList<ChannelProducer> producers, IReadOnlyList<ChannelConsumer> consumers,
        IReadOnlyList<ChannelBatchNorm> batchNorms, IReadOnlyList<string> leftAloneReasons, int? headSize = null, int? normGroupChannels = null)
    {
        HeadSize = headSize;
        NormGroupChannels = normGroupChannels;
        Id = id;
        Size = size;
        Producers = producers;
        Consumers = consumers;
        BatchNorms = batchNorms;
        LeftAloneReasons = leftAloneReasons;
    }

    /// <summary>The group's index in <see cref="ChannelDependencyGraph.Groups"/>.</summary>
    public int Id { get; }

    /// <summary>Channels in the group (heads, when <see cref="HeadSize"/> is set; runs of channels, when <see cref="NormGroupChannels"/> is).</summary>
    public int Size { get; }

    /// <summary>Positions per head (dh) when the group's units are attention heads; null for plain channels.</summary>
    public int? HeadSize { get; }

    /// <summary>
    /// Channels per unit when a GroupNorm reads the channels (it normalizes runs of C/G channels together, so they go
    /// in whole runs): <see cref="Size"/> then counts runs of this many consecutive channels. Null for single channels.
    /// </summary>
    public int? NormGroupChannels { get; }

    /// <summary>The group's channels: <see cref="Size"/> times <see cref="NormGroupChannels"/> when set, else <see cref="Size"/> (heads for a head group).</summary>
    public int Channels => Size * (NormGroupChannels ?? 1);

    /// <summary>The group's units for messages: "64 channels", "4 heads × 16" or "64 channels (GroupNorm runs of 8)".</summary>
    public string Unit => HeadSize is int dh ? $"{Size} heads × {dh}"
        : NormGroupChannels is int n ? $"{Size * n} channels (GroupNorm runs of {n})" : $"{Size} channels";

    /// <summary>The nodes whose output channels these are (several when a residual Add ties them).</summary>
    public IReadOnlyList<ChannelProducer> Producers { get; }

    /// <summary>The nodes whose weights read these channels.</summary>
    public IReadOnlyList<ChannelConsumer> Consumers { get; }

    /// <summary>Unfused BatchNormalizations over these channels.</summary>
    public IReadOnlyList<ChannelBatchNorm> BatchNorms { get; }

    /// <summary>Why the group cannot be pruned safely; empty when it can.</summary>
    public IReadOnlyList<string> LeftAloneReasons { get; }

    /// <summary>True when every use of the channels is understood and none reaches a graph output.</summary>
    public bool Prunable => LeftAloneReasons.Count == 0;

    /// <summary>A name for messages: the first producer's node name, with the number of others tied to it.</summary>
    public string Name => Producers.Count == 0 ? $"group {Id}"
        : Producers[0].Node.DisplayName + (Producers.Count > 1 ? $" (+{Producers.Count - 1} tied)" : "");

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Unit}";
}
