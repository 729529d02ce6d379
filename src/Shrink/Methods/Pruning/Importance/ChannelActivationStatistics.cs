using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// Per-channel mean |a| and mean a² of chosen values on calibration data. The model runs in ONNX Runtime with the values
/// exposed as extra outputs, batch by batch; only the per-channel sums are kept (a <see cref="ChannelMomentsRequest"/>
/// run by the <see cref="StatisticsRunner"/>).
/// </summary>
public sealed class ChannelActivationStatistics
{
    private readonly Dictionary<string, double[]> _meanAbs;
    private readonly Dictionary<string, double[]> _meanSquare;

    private ChannelActivationStatistics(Dictionary<string, double[]> meanAbs, Dictionary<string, double[]> meanSquare)
    {
        _meanAbs = meanAbs;
        _meanSquare = meanSquare;
    }

    /// <summary>Mean |a| per channel of <paramref name="value"/> (channels of its whole layout, before Block expansion).</summary>
    public IReadOnlyList<double> MeanAbs(string value) => _meanAbs[value];

    /// <summary>Mean a² per channel of <paramref name="value"/>.</summary>
    public IReadOnlyList<double> MeanSquare(string value) => _meanSquare[value];

    /// <summary>The values whose statistics describe <paramref name="group"/>, with the group's offset in each: the consumers' inputs, or the producers' outputs.</summary>
    public static IReadOnlyList<(string Value, int Offset)> ValuesOf(ChannelGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var values = group.Consumers.Select(c => (c.Input, c.Offset)).Distinct().ToList();
        if (values.Count == 0) values = group.Producers.Select(p => (p.Output, 0)).Distinct().ToList();
        return values;
    }

    /// <summary>Collects the statistics of <paramref name="values"/> (each with its channel layout) over up to <paramref name="samples"/> samples.</summary>
    /// <remarks><paramref name="shapes"/> are the values' measured shapes (any batch size): they give the extent after the channel axis.</remarks>
    public static ChannelActivationStatistics Collect(OnnxModel model, IReadOnlyDictionary<string, ChannelLayout> values,
        IReadOnlyDictionary<string, long[]> shapes, IDataSource data, long samples, int batchSize, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(data);
        var request = new ChannelMomentsRequest(ChannelStatisticsRun.Axes(values), shapes);
        var run = ChannelStatisticsRun.Run(model, request, data, samples, batchSize, progress, "activation statistics");
        if (run.Samples == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var (meanAbs, meanSquare) = request.Means();
        return new ChannelActivationStatistics(meanAbs, meanSquare);
    }
}
