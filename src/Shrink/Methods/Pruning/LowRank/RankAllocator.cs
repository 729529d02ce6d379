namespace Shrink.Methods.Pruning.LowRank;

/// <summary>
/// Splits a parameter budget between low-rank candidate layers. Each layer takes one choice: a rank r from 1 to its
/// largest saving rank (r·(N + K) parameters, discarding <see cref="LayerSpectrum.DiscardedAt"/>(r) of its energy), or
/// staying whole (N·K parameters, nothing discarded). The allocation minimizes the summed discarded fractions subject
/// to Σ parameters ≤ budget.
/// </summary>
/// <remarks>
/// <para>
/// Why fractions: a layer's discarded σ² over its own Σσ² (= ‖W·S‖², its output energy, when whitening) is the
/// noise-to-signal ratio its output carries into the next layer, whatever the layer's scale (folded BatchNorm and
/// activation ranges differ by orders of magnitude between layers); summing absolute σ² would hand the budget to the
/// layer with the largest outputs. The sum of the ratios is the first-order end-to-end error for small, independent
/// errors, and the quantity the per-layer "output error" column measures.
/// </para>
/// <para>
/// How: a multiple-choice knapsack, solved exactly by dynamic programming over the Pareto front of partial
/// allocations (layer by layer, keep only the (parameters, discarded) pairs no other pair beats on both, within what
/// the remaining layers' rank 1 leaves of the budget). Parameter counts are multiples of each layer's N + K, so the
/// front stays small: about a thousand points for cnn_small or vit_tiny, milliseconds. A 0/1 program for CP-SAT (as the
/// bit allocator uses) would be exact too, but with one Boolean per layer and rank, and the front is simpler. Where the
/// front would outgrow <see cref="MaxFrontWork"/> (hundreds of wide layers), a greedy pass over each layer's lower
/// convex hull of (parameters, discarded) takes over: steepest error-per-parameter segments first while they fit (a
/// Lagrangian solution, optimal for the parameters it spends), then the leftover filled by the largest reduction that
/// fits; it stays within about one hull segment of the optimum.
/// </para>
/// </remarks>
internal static class RankAllocator
{
    /// <summary>Pareto points × choices one layer may combine before the exact solve gives way to the greedy one.</summary>
    public const long MaxFrontWork = 2_000_000;

    /// <summary>The fewest parameters any allocation keeps: rank 1 where it saves, else the whole layer.</summary>
    public static long MinimumParameters(IReadOnlyList<LayerSpectrum> layers) =>
        layers.Sum(l => l.MaxSavingRank >= 1 ? l.ParametersAt(1) : l.FullParameters);

    /// <summary>
    /// The rank of each layer (null: kept whole) minimizing the summed discarded fractions within
    /// <paramref name="budget"/> parameters, which must be at least <see cref="MinimumParameters"/>.
    /// </summary>
    public static int?[] Allocate(IReadOnlyList<LayerSpectrum> layers, long budget) =>
        Exact(layers, budget) ?? Greedy(layers, budget);

    /// <summary>The optimal allocation, or null when its Pareto front would exceed <see cref="MaxFrontWork"/>.</summary>
    internal static int?[]? Exact(IReadOnlyList<LayerSpectrum> layers, long budget)
    {
        var choices = Prepare(layers, budget);
        var rest = new long[choices.Length + 1]; // rest[i]: the fewest parameters layers i… can take
        for (int i = choices.Length - 1; i >= 0; i--) rest[i] = rest[i + 1] + choices[i][0].Parameters;
        // fronts[i]: by increasing parameters and strictly decreasing discarded; each point names its choice of layer i
        // and its predecessor in fronts[i − 1].
        var fronts = new List<(long Parameters, double Discarded, int Previous, int Choice)[]>();
        (long Parameters, double Discarded, int Previous, int Choice)[] front = [(0, 0, -1, -1)];
        for (int i = 0; i < choices.Length; i++)
        {
            if ((long)front.Length * choices[i].Length > MaxFrontWork) return null;
            long limit = budget - rest[i + 1];
            var next = new List<(long Parameters, double Discarded, int Previous, int Choice)>(front.Length * choices[i].Length);
            for (int p = 0; p < front.Length; p++)
                for (int c = 0; c < choices[i].Length; c++)
                {
                    long parameters = front[p].Parameters + choices[i][c].Parameters;
                    if (parameters <= limit) next.Add((parameters, front[p].Discarded + choices[i][c].Discarded, p, c));
                }
            next.Sort((a, b) => a.Parameters != b.Parameters ? a.Parameters.CompareTo(b.Parameters) : a.Discarded.CompareTo(b.Discarded));
            var kept = new List<(long Parameters, double Discarded, int Previous, int Choice)>();
            foreach (var point in next)
                if (kept.Count == 0 || point.Discarded < kept[^1].Discarded - LayerSpectrum.Negligible) kept.Add(point);
            front = [.. kept];
            fronts.Add(front);
        }
        var ranks = new int?[choices.Length];
        for (int i = choices.Length - 1, at = front.Length - 1; i >= 0; i--) // the last point discards the least
        {
            var point = fronts[i][at];
            ranks[i] = choices[i][point.Choice].Rank;
            at = point.Previous;
        }
        return ranks;
    }

    /// <summary>The greedy allocation on the layers' convex hulls (see the remarks): fast, near-optimal.</summary>
    internal static int?[] Greedy(IReadOnlyList<LayerSpectrum> layers, long budget)
    {
        var choices = Prepare(layers, budget);
        var at = new int[layers.Count];
        long spent = choices.Sum(c => c[0].Parameters);

        // 1. Hull segments of every layer, steepest first; a layer whose next segment does not fit takes no more.
        var segments = new List<(int Layer, int From, int To, double Slope)>();
        for (int i = 0; i < choices.Length; i++)
        {
            var hull = LowerHull(choices[i]);
            for (int h = 0; h + 1 < hull.Count; h++)
            {
                var (a, b) = (choices[i][hull[h]], choices[i][hull[h + 1]]);
                double slope = (a.Discarded - b.Discarded) / (b.Parameters - a.Parameters);
                if (slope > 0) segments.Add((i, hull[h], hull[h + 1], slope));
            }
        }
        var blocked = new bool[layers.Count];
        foreach (var s in segments.OrderByDescending(s => s.Slope).ThenBy(s => s.Layer).ThenBy(s => s.From))
        {
            if (blocked[s.Layer] || at[s.Layer] != s.From) continue;
            long extra = choices[s.Layer][s.To].Parameters - choices[s.Layer][s.From].Parameters;
            if (spent + extra > budget) { blocked[s.Layer] = true; continue; }
            at[s.Layer] = s.To;
            spent += extra;
        }

        // 2. Fill what is left, off the hull too: the move that removes the most error and fits, until none does.
        while (true)
        {
            int bestLayer = -1, bestChoice = -1;
            double bestGain = 0;
            for (int i = 0; i < choices.Length; i++)
            {
                var c = choices[i];
                long room = budget - spent + c[at[i]].Parameters;
                int j = c.Length - 1;
                while (j > at[i] && c[j].Parameters > room) j--; // discarded never grows with parameters: the dearest that fits
                double gain = c[at[i]].Discarded - c[j].Discarded;
                if (gain > bestGain) (bestLayer, bestChoice, bestGain) = (i, j, gain);
            }
            if (bestLayer < 0) break;
            spent += choices[bestLayer][bestChoice].Parameters - choices[bestLayer][at[bestLayer]].Parameters;
            at[bestLayer] = bestChoice;
        }
        return choices.Select((c, i) => c[at[i]].Rank).ToArray();
    }

    /// <summary>Each layer's choices by increasing parameters (ranks 1 … the largest saving rank, then whole); checks the budget.</summary>
    private static (int? Rank, long Parameters, double Discarded)[][] Prepare(IReadOnlyList<LayerSpectrum> layers, long budget)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, MinimumParameters(layers));
        return layers.Select(l => Enumerable.Range(1, l.MaxSavingRank).Select(r => ((int?)r, l.ParametersAt(r), l.DiscardedAt(r)))
            .Append((null, l.FullParameters, 0.0)).ToArray()).ToArray();
    }

    /// <summary>Indices of the lower convex hull of the points (parameters, discarded), from the first to the last.</summary>
    private static List<int> LowerHull((int? Rank, long Parameters, double Discarded)[] points)
    {
        var hull = new List<int>();
        for (int p = 0; p < points.Length; p++)
        {
            while (hull.Count >= 2)
            {
                var (o, a, b) = (points[hull[^2]], points[hull[^1]], points[p]);
                double cross = (double)(a.Parameters - o.Parameters) * (b.Discarded - o.Discarded) - (a.Discarded - o.Discarded) * (double)(b.Parameters - o.Parameters);
                if (cross > 0) break;
                hull.RemoveAt(hull.Count - 1);
            }
            hull.Add(p);
        }
        return hull;
    }
}
