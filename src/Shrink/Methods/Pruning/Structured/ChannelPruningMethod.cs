using Shrink.Data;
using Shrink.Methods.Pruning.Importance;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Structured;

/// <summary><c>prune</c>: structured channel pruning (<see cref="ChannelPruner"/>), as <c>shrink prune --granularity channel</c>.</summary>
[Registered("prune", "Channel pruning (a smaller dense model); options: ChannelPruningOptions", Order = 3)]
public sealed class ChannelPruningMethod : CompressionMethod<ChannelPruningOptions, ChannelPruningResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(ChannelPruningOptions options) =>
        options.Reconstruct || options.Schedule == PruningSchedule.Fair || ChannelImportances.Create(options.Criterion).NeedsData;

    /// <inheritdoc />
    protected override void Check(ChannelPruningOptions options)
    {
        Require(options.Sparsity is >= 0 and < 1, $"sparsity must be in [0, 1), not {options.Sparsity}.");
        ChannelImportances.Create(options.Criterion);
        Require(Enum.IsDefined(options.Target) && Enum.IsDefined(options.Schedule) && Enum.IsDefined(options.FairLabels), "target, schedule or fair_labels has an unknown value.");
        Require(options.LatencyBatchSize > 0, $"latency_batch_size must be positive, not {options.LatencyBatchSize}.");
        Require(options.ChannelMultiple > 0, $"channel_multiple must be positive, not {options.ChannelMultiple}.");
        Require(options.MinKeepFraction is >= 0 and <= 1, $"min_keep_fraction must be in [0, 1], not {options.MinKeepFraction}.");
        Require(options.RidgeFactor > 0 && double.IsFinite(options.RidgeFactor), $"ridge_factor must be positive, not {options.RidgeFactor}.");
        Require(options.ReconstructionRows > 0 && options.Samples > 0 && options.BatchSize > 0, "reconstruction_rows, samples and batch_size must be positive.");
        Require(options.MemoryLimitBytes is null or >= Calibration.MemoryBudget.MinimumBytes, $"memory_limit_bytes must be at least {Calibration.MemoryBudget.MinimumBytes}, not {options.MemoryLimitBytes}.");
        foreach (var (node, count) in options.KeptChannels ?? new Dictionary<string, int>())
            Require(count > 0, $"kept_channels: '{node}' needs a positive count, not {count}.");
    }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(ChannelPruningOptions options) => options.KeptChannels?.Keys ?? Enumerable.Empty<string>();

    /// <inheritdoc />
    protected override ChannelPruningResult Run(OnnxModel model, ChannelPruningOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new ChannelPruner(options).Prune(model, data, progress);
}
