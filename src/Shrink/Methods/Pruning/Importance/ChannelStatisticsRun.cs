using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// What <see cref="ChannelActivationStatistics"/> and <see cref="ClassConditionalActivations"/> share: the channel axes of
/// the chosen values, and one <see cref="StatisticsRunner"/> pass of a request over the calibration data.
/// </summary>
internal static class ChannelStatisticsRun
{
    /// <summary>The statistics axis of each value's channel layout.</summary>
    public static Dictionary<string, ChannelAxis> Axes(IReadOnlyDictionary<string, ChannelLayout> values) =>
        values.ToDictionary(p => p.Key, p => new ChannelAxis(p.Value.Axis, p.Value.Channels, p.Value.Block), StringComparer.Ordinal);

    /// <summary>Runs <paramref name="request"/> on <paramref name="model"/> over up to <paramref name="samples"/> samples of <paramref name="data"/>.</summary>
    public static StatisticsRun Run(OnnxModel model, IStatisticRequest request, IDataSource data, long samples, int batchSize,
        IProgress<ProgressInfo>? progress, string stage) =>
        StatisticsRunner.Run(new StatisticsTap(model), [request], data, new StatisticsRunOptions
        {
            Samples = samples,
            BatchSize = batchSize,
            Progress = progress,
            Stage = stage,
        });
}
