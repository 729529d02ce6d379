using System.Globalization;
using Shrink.Methods.Pruning.Dependency;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// Decides how many channels each prunable group keeps so that the cost falls to the target, with kernel-friendly
/// counts, and which ones (the highest scores).
/// </summary>
internal static class ChannelAllocator
{
    /// <summary>The rounding step of a group: the multiple, halved until the group holds at least two steps.</summary>
    public static int StepOf(int size, int multiple)
    {
        int m = Math.Max(1, multiple);
        while (m > 1 && size < 2 * m) m /= 2;
        return m;
    }

    /// <summary>
    /// The channel multiple of a group, in its units: <see cref="ChannelPruningOptions.ChannelMultiple"/>; 1 for a head
    /// group, whose units (heads of dh channels each) are already whole kernel tiles; for a group that a GroupNorm makes
    /// count runs of n channels, the runs in the least common multiple of n and the channel multiple.
    /// </summary>
    public static int MultipleOf(ChannelGroup group, ChannelPruningOptions options) =>
        group.HeadSize is not null ? 1
        : group.NormGroupChannels is int n ? Math.Max(1, options.ChannelMultiple / Gcd(n, Math.Max(1, options.ChannelMultiple)))
        : options.ChannelMultiple;

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>The largest allowed count below <paramref name="kept"/>: a multiple of the step (the full size is always allowed).</summary>
    private static int NextLower(int kept, int step) => kept % step == 0 ? kept - step : kept - kept % step;

    /// <summary><paramref name="count"/> rounded up to a multiple of the group's step, at most <paramref name="size"/>.</summary>
    public static int RoundUp(double count, int size, int multiple)
    {
        int step = StepOf(size, multiple);
        return Math.Min(size, (int)Math.Ceiling(count / step - 1e-9) * step);
    }

    /// <summary>The fewest channels <paramref name="group"/> may keep: <see cref="ChannelPruningOptions.MinKeepFraction"/> of it, rounded up to its step.</summary>
    public static int FloorOf(ChannelGroup group, ChannelPruningOptions options) =>
        RoundUp(Math.Max(1, (int)Math.Ceiling(group.Size * options.MinKeepFraction - 1e-9)), group.Size, MultipleOf(group, options));

    /// <summary>The kept counts per group (all groups; unprunable ones keep everything) for the uniform and global schedules.</summary>
    public static int[] Allocate(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<double[]?> scores, IPruningCost cost, double target, ChannelPruningOptions options)
    {
        if (options.Schedule == PruningSchedule.Fair)
            throw new InvalidOperationException("The fair schedule is allocated by FairSchedule, from two scores.");
        var (kept, prunable, fixedCount) = Start(groups, scores, options);
        if (prunable.Count == 0 && fixedCount > 0) return kept;
        if (options.Schedule == PruningSchedule.Uniform) return Uniform(prunable, kept, cost, target, options);
        return Global(prunable, scores, kept, cost, target, options);
    }

    /// <summary>
    /// The starting point of every schedule: counts fixed by <see cref="ChannelPruningOptions.KeptChannels"/> applied, the
    /// other groups whole, and the groups the schedule may cut (prunable, scored, not fixed, not narrow when those stay whole).
    /// </summary>
    public static (int[] Kept, List<ChannelGroup> Prunable, int FixedCount) Start(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<double[]?> scores, ChannelPruningOptions options)
    {
        var kept = groups.Select(g => g.Size).ToArray();
        var fixedCounts = FixedCounts(groups, options);
        foreach (var (id, count) in fixedCounts) kept[id] = count;
        var prunable = groups.Where(g => g.Prunable && scores[g.Id] is not null && !fixedCounts.ContainsKey(g.Id)
            && !(options.KeepNarrowGroupsWhole && g.Size < 2 * MultipleOf(g, options))).ToList();
        return (kept, prunable, fixedCounts.Count);
    }

    /// <summary>The groups named in <see cref="ChannelPruningOptions.KeptChannels"/> (by any producer node), with their counts.</summary>
    private static Dictionary<int, int> FixedCounts(IReadOnlyList<ChannelGroup> groups, ChannelPruningOptions options)
    {
        var result = new Dictionary<int, int>();
        if (options.KeptChannels is not { Count: > 0 } wanted) return result;
        foreach (var (name, count) in wanted)
        {
            var group = groups.FirstOrDefault(g => g.Producers.Any(p => p.Node.Name == name || p.Node.DisplayName == name || p.Output == name))
                ?? throw new ShrinkException($"channel pruning: no channel group is produced by '{name}'; name a Conv/Gemm/MatMul node (or its output) that creates channels.");
            if (!group.Prunable)
                throw new ShrinkException($"channel pruning: group {group.Name} cannot be pruned safely ({string.Join("; ", group.LeftAloneReasons)}).");
            if (count < 1 || count > group.Channels)
                throw new ShrinkException($"channel pruning: group {group.Name} has {group.Channels} channels; {count} cannot be kept.");
            if (group.NormGroupChannels is int n && count % n != 0)
                throw new ShrinkException($"channel pruning: group {group.Name} feeds a GroupNorm and loses channels in whole runs of {n}; keep a multiple of {n}, not {count}.");
            result[group.Id] = count / (group.NormGroupChannels ?? 1);
        }
        return result;
    }

    private static int[] Uniform(List<ChannelGroup> prunable, int[] kept, IPruningCost cost, double target, ChannelPruningOptions options)
    {
        int[] At(double rate)
        {
            var k = (int[])kept.Clone();
            foreach (var g in prunable) k[g.Id] = RoundUp(g.Size * (1 - rate), g.Size, MultipleOf(g, options));
            return k;
        }
        double lo = 0, hi = 1;
        if (cost.Evaluate(At(1 - 1e-9)) > target)
        {
            // Even one step per group is not enough: removing more would empty a layer.
            var widest = prunable.OrderBy(g => g.Size).FirstOrDefault();
            throw new ShrinkException(widest is null
                ? "channel pruning: no channel group can be pruned safely, so the target cannot be reached."
                : $"channel pruning: reaching the target with a uniform rate would empty layer {widest.Name} ({widest.Size} channels); lower the sparsity.");
        }
        for (int i = 0; i < 40; i++)
        {
            double mid = (lo + hi) / 2;
            if (cost.Evaluate(At(mid)) <= target) hi = mid; else lo = mid;
        }
        return At(hi);
    }

    private static int[] Global(List<ChannelGroup> prunable, IReadOnlyList<double[]?> scores, int[] kept, IPruningCost cost, double target, ChannelPruningOptions options)
    {
        // Ascending order of each group's channels, and scores normalized by the group mean so groups compare.
        var order = new Dictionary<int, int[]>();
        var normalized = new Dictionary<int, double[]>();
        var floor = new Dictionary<int, int>();
        foreach (var g in prunable)
        {
            var s = scores[g.Id]!;
            double mean = s.Average();
            normalized[g.Id] = s.Select(v => mean > 0 ? v / mean : 1.0).ToArray();
            order[g.Id] = Enumerable.Range(0, g.Size).OrderBy(c => s[c]).ThenBy(c => c).ToArray();
            floor[g.Id] = FloorOf(g, options);
        }
        double current = cost.Evaluate(kept);
        // Without cost-aware ranking only the chosen step's cost is needed: one evaluation per step, which matters when
        // each evaluation is a timed model (latency target).
        bool costAware = options.CostAwareRanking;
        double CostWith(ChannelGroup g, int count)
        {
            int saved = kept[g.Id];
            kept[g.Id] = count;
            double after = cost.Evaluate(kept);
            kept[g.Id] = saved;
            return after;
        }
        while (current > target)
        {
            ChannelGroup? best = null;
            double bestPriority = double.PositiveInfinity;
            int bestNext = 0;
            double bestCost = double.NaN;
            foreach (var g in prunable)
            {
                int step = StepOf(g.Size, MultipleOf(g, options));
                int next = NextLower(kept[g.Id], step);
                if (next < floor[g.Id] || next <= 0) continue;
                double chunk = 0;
                for (int r = g.Size - kept[g.Id]; r < g.Size - next; r++) chunk += normalized[g.Id][order[g.Id][r]];
                chunk /= kept[g.Id] - next;
                double after = costAware ? CostWith(g, next) : double.NaN;
                double priority = costAware ? chunk / Math.Max(current - after, 1e-12) : chunk;
                if (priority < bestPriority)
                {
                    best = g;
                    bestPriority = priority;
                    bestNext = next;
                    bestCost = after;
                }
            }
            if (best is null)
            {
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                    $"channel pruning: every prunable group is at its floor ({options.MinKeepFraction:P0} of its channels) and the model still has {current / cost.Total:P1} of its {options.Target.ToString().ToLowerInvariant()}; lower the sparsity or the floor (groups: {string.Join(", ", prunable.Select(g => g.Name))})."));
            }
            current = costAware ? bestCost : CostWith(best, bestNext);
            kept[best.Id] = bestNext;
        }
        return kept;
    }

    /// <summary>The sorted indices of the <c>kept[g]</c> highest-scoring channels of each group.</summary>
    public static int[][] KeepIndices(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<double[]?> scores, IReadOnlyList<int> kept) =>
        groups.Select(g =>
        {
            if (kept[g.Id] == g.Size || scores[g.Id] is not { } s) return Enumerable.Range(0, g.Size).ToArray();
            return Enumerable.Range(0, g.Size).OrderByDescending(c => s[c]).ThenBy(c => c).Take(kept[g.Id]).Order().ToArray();
        }).ToArray();
}
