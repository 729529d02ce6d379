using System.Globalization;
using Shrink.Methods.Pruning.Dependency;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// FAIR-Pruner's layer-wise allocation (Lin et al. 2025): each group may lose its k lowest-utilization channels for the
/// largest k whose tolerance of difference with the reconstruction ranking stays within one shared α
/// (<see cref="ToleranceOfDifference"/>), so a layer is cut only as deep as the two independent scores agree. The paper
/// fixes α; here α is found by bisection so that the model reaches the cost target: the smallest α whose counts (rounded
/// up to the channel multiple, at least the per-group floor) bring the cost to the target. Groups whose counts change at
/// that same α are applied in graph order, only as many as the target needs. Pure computation on scores: nothing here
/// touches the graph.
/// </summary>
internal static class FairSchedule
{
    private const int Bisections = 60;

    /// <summary>The kept counts of all groups (unprunable and fixed ones as <see cref="ChannelAllocator.Start"/> leaves them) and the decision.</summary>
    /// <param name="groups">Every group of the dependency graph.</param>
    /// <param name="utilization">The removal signal per group (low = remove first); null for groups not to cut.</param>
    /// <param name="reconstruction">The protection signal per group (high = keep); null for groups not to cut.</param>
    /// <param name="cost">The cost as a function of the kept counts.</param>
    /// <param name="target">The cost to reach.</param>
    /// <param name="options">Channel multiple, floor, fixed counts.</param>
    /// <exception cref="ShrinkException">Even α = 1 (every group at its floor) leaves the cost above the target.</exception>
    public static (int[] Kept, FairScheduleResult Result) Allocate(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<double[]?> utilization,
        IReadOnlyList<double[]?> reconstruction, IPruningCost cost, double target, ChannelPruningOptions options)
    {
        var (start, prunable, fixedCount) = ChannelAllocator.Start(groups, utilization, options);
        prunable = prunable.Where(g => reconstruction[g.Id] is not null).ToList();
        if (prunable.Count == 0 && fixedCount > 0) return (start, new FairScheduleResult(0, 1, [])); // every count given by hand
        var curves = prunable.Select(g => ToleranceOfDifference.Curve(utilization[g.Id]!, reconstruction[g.Id]!)).ToArray();
        var floors = prunable.Select(g => ChannelAllocator.FloorOf(g, options)).ToArray();

        int[] Counts(double alpha, double scale) =>
            curves.Select(c => (int)Math.Floor(ToleranceOfDifference.Count(c, alpha) * scale + 1e-9)).ToArray();
        int[] KeptFor(int[] counts)
        {
            var kept = (int[])start.Clone();
            for (int i = 0; i < prunable.Count; i++)
            {
                var g = prunable[i];
                kept[g.Id] = Math.Max(floors[i], ChannelAllocator.RoundUp(g.Size - counts[i], g.Size, ChannelAllocator.MultipleOf(g, options)));
            }
            return kept;
        }
        bool Meets(int[] counts) => cost.Evaluate(KeptFor(counts)) <= target;

        if (!Meets(Counts(1, 1)))
        {
            throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                $"channel pruning: with every prunable group at its floor ({options.MinKeepFraction:P0} of its channels) the model still has {cost.Evaluate(KeptFor(Counts(1, 1))) / cost.Total:P1} of its {options.Target.ToString().ToLowerInvariant()}, so no tolerance reaches the target; lower the sparsity or the floor (groups: {string.Join(", ", prunable.Select(g => g.Name))})."));
        }

        // The one-parameter family: α in [0, 1] at full scale; when α = 0 already goes past the target, the α = 0 counts scaled down.
        bool scaled = Meets(Counts(0, 1));
        Func<double, int[]> family = scaled ? factor => Counts(0, factor) : tolerance => Counts(tolerance, 1);
        double parameter = Bisect(family, Meets, out double below);
        var counts = Refine(family(below), family(parameter), Meets);
        return Finish(counts, scaled ? 0 : parameter, scaled ? parameter : 1);

        (int[], FairScheduleResult) Finish(int[] chosen, double alphaChosen, double scaleChosen)
        {
            var kept = KeptFor(chosen);
            var decided = prunable.Select((g, i) => new FairGroupCount(g.Name, g.Size, chosen[i], curves[i][chosen[i]], kept[g.Id])).ToArray();
            return (kept, new FairScheduleResult(alphaChosen, scaleChosen, decided));
        }
    }

    /// <summary>The smallest parameter in [0, 1] whose counts meet the target (the family is monotone); <paramref name="below"/>: the largest that does not.</summary>
    private static double Bisect(Func<double, int[]> family, Func<int[], bool> meets, out double below)
    {
        double lo = 0, hi = 1;
        if (meets(family(0)))
        {
            below = 0;
            return 0;
        }
        for (int i = 0; i < Bisections; i++)
        {
            double mid = (lo + hi) / 2;
            if (meets(family(mid))) hi = mid; else lo = mid;
        }
        below = lo;
        return hi;
    }

    /// <summary>
    /// From the counts just below the threshold, applies the groups that change at the threshold one at a time (graph
    /// order) until the target is met, so groups tied at the same α do not all jump when fewer suffice.
    /// </summary>
    private static int[] Refine(int[] below, int[] at, Func<int[], bool> meets)
    {
        var counts = (int[])below.Clone();
        for (int i = 0; i < counts.Length && !meets(counts); i++) counts[i] = at[i];
        return counts;
    }
}
