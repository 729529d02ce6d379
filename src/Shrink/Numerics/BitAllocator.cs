using Google.OrTools.Sat;

namespace Shrink.Numerics;

/// <summary>
/// Chooses one bit width per layer minimizing Σ Ω(layer, bits) subject to Σ resource(layer, bits) ≤ budget: an integer
/// linear program (one Boolean per layer and width, exactly one per layer) solved by OR-Tools CP-SAT. Costs are scaled
/// to integers after subtracting each layer's smallest cost (a constant, since every layer takes exactly one width).
/// </summary>
public static class BitAllocator
{
    private const double CostScale = 1e12;

    /// <summary>The smallest resource any allocation uses.</summary>
    public static long MinimumResource(IReadOnlyList<AllocationLayer> layers) => layers.Sum(l => l.Resource.Values.Min());

    /// <summary>
    /// The best allocation within <paramref name="budget"/>; null when none fits (the budget is below
    /// <see cref="MinimumResource"/>).
    /// </summary>
    public static BitAllocation? Solve(IReadOnlyList<AllocationLayer> layers, long budget, double timeLimitSeconds = 20)
    {
        if (budget < MinimumResource(layers)) return null;
        var shifted = layers.Select(l => l.Cost.ToDictionary(c => c.Key, c => Math.Max(0, c.Value - l.Cost.Values.Min()))).ToList();
        double max = shifted.SelectMany(c => c.Values).DefaultIfEmpty(0).Max();
        double scale = max > 0 ? CostScale / max : 1;
        var model = new CpModel();
        var choices = new List<(int Layer, int Bits, BoolVar Var)>();
        var resources = new List<ILiteral>();
        var resourceCoefficients = new List<long>();
        var costs = new List<ILiteral>();
        var costCoefficients = new List<long>();
        for (int i = 0; i < layers.Count; i++)
        {
            var vars = new List<ILiteral>();
            foreach (var (bits, resource) in layers[i].Resource)
            {
                var x = model.NewBoolVar($"x_{i}_{bits}");
                choices.Add((i, bits, x));
                vars.Add(x);
                resources.Add(x);
                resourceCoefficients.Add(resource);
                costs.Add(x);
                costCoefficients.Add((long)Math.Round(shifted[i][bits] * scale));
            }
            model.AddExactlyOne(vars);
        }
        model.Add(LinearExpr.WeightedSum(resources, resourceCoefficients) <= budget);
        model.Minimize(LinearExpr.WeightedSum(costs, costCoefficients));
        var solver = new CpSolver { StringParameters = FormattableString.Invariant($"max_time_in_seconds:{timeLimitSeconds},num_workers:2,random_seed:0") };
        var status = solver.Solve(model);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible)) return null;
        var chosen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (layer, bits, x) in choices)
            if (solver.BooleanValue(x)) chosen[layers[layer].Name] = bits;
        return Evaluate(layers, chosen, status == CpSolverStatus.Optimal);
    }

    /// <summary>The cost and resource of a given allocation.</summary>
    public static BitAllocation Evaluate(IReadOnlyList<AllocationLayer> layers, IReadOnlyDictionary<string, int> bits, bool optimal = false) =>
        new(bits, layers.Sum(l => l.Cost[bits[l.Name]]), layers.Sum(l => l.Resource[bits[l.Name]]), optimal);
}
