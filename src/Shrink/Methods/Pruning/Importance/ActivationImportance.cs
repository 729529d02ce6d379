using Shrink.Methods.Pruning.Dependency;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// <c>activation</c>: the mean |a| of each channel on calibration data, where the consumers read it (the group's producer
/// outputs when nothing reads it through a weight).
/// </summary>
[Registered("activation", "mean |a| of the channel on --data", Order = 3)]
public sealed class ActivationImportance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "activation";

    /// <inheritdoc />
    public bool NeedsData => true;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context)
    {
        var stats = context.Activations ?? throw new InvalidOperationException("The activation criterion needs activation statistics.");
        var scores = new double[group.Size];
        foreach (var (value, offset) in ChannelActivationStatistics.ValuesOf(group))
        {
            var mean = stats.MeanAbs(value);
            for (int c = 0; c < scores.Length; c++) scores[c] += mean[offset + c];
        }
        return scores;
    }
}
