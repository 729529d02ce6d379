using Shrink.Methods.Pruning.Dependency;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>Weight norms per channel of a group, shared by the weight-norm criteria.</summary>
internal static class FilterNorms
{
    /// <summary>
    /// Σ |w|^power over the producers' filters (and the consumers' input slices when the context asks); for a head group,
    /// over each head's q, k and v columns (and its output-projection rows).
    /// </summary>
    public static double[] Sum(ChannelGroup group, ImportanceContext context, int power)
    {
        var scores = new double[group.Size];
        foreach (var p in group.Producers) context.AccumulateNorms(p.Weight, p.Axis, 0, p.Block, power, scores, p.Repeats);
        if (context.IncludeConsumers)
            foreach (var c in group.Consumers) context.AccumulateNorms(c.Weight, c.Axis, c.Offset, c.Block, power, scores);
        return scores;
    }
}
