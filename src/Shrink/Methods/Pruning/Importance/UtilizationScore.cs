using Shrink.Methods.Pruning.Dependency;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// FAIR-Pruner's utilization score (U-score) of each channel: how well the channel tells classes apart, as the largest
/// Wasserstein-1 distance between two classes' distributions of the channel's per-sample mean activation (max over
/// class pairs). A channel whose distribution is the same whatever the class carries no class information and scores 0.
/// The paper measures the distance on the whole feature map of the channel (sliced Wasserstein); the spatial mean here
/// is a one-dimensional summary of it.
/// </summary>
public static class UtilizationScore
{
    /// <summary>
    /// The scores of a group's channels: for each value that carries them (the consumers' inputs, or the producers'
    /// outputs), the score at the group's offset; the largest over the values.
    /// </summary>
    /// <exception cref="ShrinkException">The samples fall in fewer than two classes.</exception>
    public static double[] Score(ChannelGroup group, ClassConditionalActivations activations)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(activations);
        var scores = new double[group.Size];
        foreach (var (value, offset) in ChannelActivationStatistics.ValuesOf(group))
        {
            var s = OfChannels(activations.Means(value), activations.Labels, activations.Channels(value), offset, group.Size);
            for (int c = 0; c < scores.Length; c++) scores[c] = Math.Max(scores[c], s[c]);
        }
        return scores;
    }

    /// <summary>
    /// The scores of channels <paramref name="offset"/> … <paramref name="offset"/> + <paramref name="count"/> − 1 of
    /// <paramref name="means"/> ([samples × <paramref name="channels"/>], row by sample), the samples classed by <paramref name="labels"/>.
    /// </summary>
    /// <exception cref="ShrinkException">The samples fall in fewer than two classes.</exception>
    public static double[] OfChannels(ReadOnlySpan<double> means, IReadOnlyList<int> labels, int channels, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (means.Length != (long)labels.Count * channels)
            throw new ArgumentException($"{means.Length} means do not make {labels.Count} rows of {channels} channels.", nameof(means));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, channels);
        var members = labels.Select((label, sample) => (label, sample)).GroupBy(p => p.label).OrderBy(g => g.Key)
            .Select(g => g.Select(p => p.sample).ToArray()).ToArray();
        if (members.Length < 2)
            throw new ShrinkException($"utilization score: all {labels.Count} calibration samples fall in one class, so no channel can be seen to separate classes; use more (or more varied) samples.");
        var scores = new double[count];
        var perClass = members.Select(m => new double[m.Length]).ToArray();
        for (int c = 0; c < count; c++)
        {
            for (int k = 0; k < members.Length; k++)
            {
                for (int i = 0; i < members[k].Length; i++) perClass[k][i] = means[members[k][i] * channels + offset + c];
                Array.Sort(perClass[k]);
            }
            double best = 0;
            for (int a = 0; a < perClass.Length; a++)
                for (int b = a + 1; b < perClass.Length; b++)
                    best = Math.Max(best, WassersteinDistance.BetweenSorted(perClass[a], perClass[b]));
            scores[c] = best;
        }
        return scores;
    }
}
