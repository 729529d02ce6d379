using Shrink.Registration;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>Structured channel pruning as a registered method (<see cref="ChannelPruner"/>).</summary>
[Registered("prune-channels", "remove whole channels: a smaller dense model", Order = 3)]
public sealed class ChannelPruningMethod() : CompressionMethod<ChannelPruningOptions, ChannelPruningResult>((model, options, data, progress) =>
    new ChannelPruner(options).Prune(model, data, progress));
