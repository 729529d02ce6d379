namespace Shrink.Pruning.Dependency;

/// <summary>
/// Channels that must be removed together: channel c of the group is output channel c of every producer (tied by
/// residual Add/Mul), input channel c (at the group's offset) of every consumer, and channel c of every BatchNormalization,
/// activation and per-channel constant in between.
/// </summary>
public sealed class ChannelGroup
{
    internal ChannelGroup(int id, int size, IReadOnlyList<ChannelProducer> producers, IReadOnlyList<ChannelConsumer> consumers,
        IReadOnlyList<ChannelBatchNorm> batchNorms, IReadOnlyList<string> leftAloneReasons)
    {
        Id = id;
        Size = size;
        Producers = producers;
        Consumers = consumers;
        BatchNorms = batchNorms;
        LeftAloneReasons = leftAloneReasons;
    }

    /// <summary>The group's index in <see cref="ChannelDependencyGraph.Groups"/>.</summary>
    public int Id { get; }

    /// <summary>Channels in the group.</summary>
    public int Size { get; }

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
    public override string ToString() => $"{Name}: {Size} channels";
}
