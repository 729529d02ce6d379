using Shrink.Methods.Pruning.Dependency;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// <c>reconstruction</c>: the squared error that removing a channel adds to the consumers' outputs on calibration data,
/// Σ over consumers of ‖W[:, c]‖² · E[x_c²] (the diagonal of the reconstruction error of ThiNet / channel pruning by
/// reconstruction, without the cross terms). Channels that the consumers amplify and that carry energy rank high, whatever
/// their own filters' norm. A group without weight consumers falls back to E[x_c²].
/// </summary>
[Registered("reconstruction", "output error on --data that removing the channel adds", Order = 4)]
public sealed class ReconstructionImportance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "reconstruction";

    /// <inheritdoc />
    public bool NeedsData => true;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context)
    {
        var stats = context.Activations ?? throw new InvalidOperationException("The reconstruction criterion needs activation statistics.");
        var scores = new double[group.Size];
        if (group.Consumers.Count == 0)
        {
            foreach (var (value, offset) in ChannelActivationStatistics.ValuesOf(group))
            {
                var energy = stats.MeanSquare(value);
                for (int c = 0; c < scores.Length; c++) scores[c] += energy[offset + c];
            }
            return scores;
        }
        var norms = new double[group.Size];
        foreach (var consumer in group.Consumers)
        {
            Array.Clear(norms);
            context.AccumulateNorms(consumer.Weight, consumer.Axis, consumer.Offset, consumer.Block, 2, norms);
            var energy = stats.MeanSquare(consumer.Input);
            for (int c = 0; c < scores.Length; c++) scores[c] += norms[c] * energy[consumer.Offset + c];
        }
        return scores;
    }
}
