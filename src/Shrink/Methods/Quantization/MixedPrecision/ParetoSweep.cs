namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// The accuracy-versus-size picture of mixed precision: every uniform width, the ILP allocation at budgets spread
/// between the all-lowest and all-highest sizes, and random allocations of about the same sizes (kept when 97–100 % of
/// the budget), each quantized and measured by the caller. Decisions only: the caller writes and evaluates the models.
/// </summary>
public sealed class ParetoSweep(MixedPrecisionPlanner planner, IReadOnlyList<int> bits)
{
    /// <summary>
    /// Runs the sweep. <paramref name="measure"/> quantizes an allocation and returns its metric and file size; equal
    /// allocations are measured once.
    /// </summary>
    public IReadOnlyList<ParetoPoint> Run(Func<IReadOnlyDictionary<string, int>, (double Metric, long Bytes)> measure, int budgets = 6, int randomPerBudget = 2, int seed = 0,
        IProgress<ProgressInfo>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budgets, 1);
        var sizes = planner.Sizes;
        var layers = sizes.LayerBytes.Keys.ToList();
        var widths = bits.Distinct().Order().ToList();
        long low = sizes.UniformBytes(widths[0]), high = sizes.UniformBytes(widths[^1]);
        var measured = new Dictionary<string, (double Metric, long Bytes)>(StringComparer.Ordinal);
        var points = new List<ParetoPoint>();
        int total = widths.Count + 2 + budgets * (1 + randomPerBudget), done = 0;

        void Add(string kind, IReadOnlyDictionary<string, int> allocation)
        {
            string key = string.Join(",", layers.Select(l => allocation[l]));
            if (!measured.TryGetValue(key, out var m)) measured[key] = m = measure(allocation);
            points.Add(new ParetoPoint(kind, allocation, sizes.TotalBytes(allocation), m.Bytes, m.Metric));
            progress?.Report(new ProgressInfo("sweep", ++done, total));
        }

        foreach (int b in widths) Add("uniform", layers.ToDictionary(l => l, _ => b));
        // The ILP at the two ends: where widths store alike (3-bit codes in 4-bit containers) it beats the uniform model there too.
        Add("ilp", planner.Plan(new MixedPrecisionBudget(BudgetKind.SizeBytes, low)).LayerBits);
        Add("ilp", planner.Plan(new MixedPrecisionBudget(BudgetKind.SizeBytes, high)).LayerBits);
        var rng = new Random(seed);
        for (int k = 0; k < budgets; k++)
        {
            // Interior budgets only: the ends are the uniform lowest and highest widths.
            long budget = low + (long)((high - low) * (k + 1.0) / (budgets + 1));
            Add("ilp", planner.Plan(new MixedPrecisionBudget(BudgetKind.SizeBytes, budget)).LayerBits);
            for (int r = 0; r < randomPerBudget; r++)
            {
                for (int attempt = 0; attempt < 20_000; attempt++)
                {
                    var allocation = layers.ToDictionary(l => l, _ => widths[rng.Next(widths.Count)]);
                    long size = sizes.TotalBytes(allocation);
                    if (size <= budget && size >= 0.97 * budget)
                    {
                        Add("random", allocation);
                        break;
                    }
                }
            }
        }
        return points;
    }
}
