using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>Structured channel pruning as a registered method (<see cref="ChannelPruner"/>).</summary>
[Registered("prune-channels", "remove whole channels: a smaller dense model", Order = 3)]
public sealed class ChannelPruningMethod : ICompressionMethod<ChannelPruningOptions, ChannelPruningResult>
{
    /// <inheritdoc />
    public string Name => "prune-channels";

    /// <inheritdoc />
    public bool RequiresData => false;

    /// <inheritdoc />
    public ChannelPruningResult Apply(OnnxModel model, ChannelPruningOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new ChannelPruner(options).Prune(model, data, progress);
}
