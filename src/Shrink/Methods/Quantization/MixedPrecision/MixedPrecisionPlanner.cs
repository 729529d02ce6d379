using System.Globalization;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// Turns per-layer sensitivities and a budget (size or BOPs) into one width per layer by the integer program of
/// <see cref="BitAllocator"/>. Layers excluded from the sensitivity analysis keep their precision and count in the fixed
/// part of the budget.
/// </summary>
public sealed class MixedPrecisionPlanner
{
    private readonly OnnxModel _prepared;
    private readonly SensitivityResult _sensitivity;
    private readonly Dictionary<string, (string OpType, long Parameters)> _layerInfo;
    private IReadOnlyDictionary<string, long>? _macs;
    private long _floatMacs;

    /// <summary>
    /// Prepares a planner for <paramref name="model"/> (not modified). <paramref name="floatModelBytes"/> is the float
    /// model's file size (null: serialized size). The exclusions must be those the sensitivity was measured with.
    /// <paramref name="embeddings"/>: the weight-only options the plan will be applied with, so the Gather tables they
    /// quantize count in the size budget at their width (null: tables count in float).
    /// </summary>
    public MixedPrecisionPlanner(OnnxModel model, SensitivityResult sensitivity, int groupSize, bool symmetric, SizeAccounting accounting,
        IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps, long? floatModelBytes = null, WeightOnly.WeightOnlyOptions? embeddings = null)
    {
        _prepared = MixedPrecisionLayers.Prepare(model);
        _sensitivity = sensitivity;
        Accounting = accounting;
        Sizes = LayerSizeTable.Measure(_prepared, sensitivity.Bits, groupSize, symmetric, accounting, excludeNodes, excludeOps, floatModelBytes, embeddings);
        var missing = Sizes.LayerBytes.Keys.Where(k => sensitivity.Layers.All(l => l.Name != k)).ToList();
        if (missing.Count > 0) throw new ShrinkException($"The sensitivity result has no entry for layer(s) {string.Join(", ", missing)}; measure it again for this model.");
        _layerInfo = sensitivity.Layers.ToDictionary(l => l.Name, l => (l.OpType, l.Parameters), StringComparer.Ordinal);
    }

    /// <summary>The size table.</summary>
    public LayerSizeTable Sizes { get; }

    /// <summary>How sizes are counted.</summary>
    public SizeAccounting Accounting { get; }

    /// <summary>The layers as an allocation problem over sizes in bytes.</summary>
    public IReadOnlyList<AllocationLayer> SizeProblem() =>
        Sizes.LayerBytes.Select(l => new AllocationLayer(l.Key, Omega(l.Key), l.Value)).ToList();

    /// <summary>Measures MACs per layer on one sample (needed for BOPs budgets).</summary>
    public void MeasureMacs(DataBatch sample)
    {
        var shapes = ValueShapeProbe.Measure(_prepared, sample);
        var graph = _prepared.Graph;
        var macs = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var node in graph.Nodes)
        {
            long m = MacCounter.Count(node, graph, shapes);
            total += m;
            string key = node.Name.Length > 0 ? node.Name : node.DisplayName;
            if (Sizes.LayerBytes.ContainsKey(key)) macs[key] = m;
        }
        _macs = macs;
        _floatMacs = total;
    }

    /// <summary>The per-layer latency table a <see cref="BudgetKind.LatencyMs"/> budget plans against (null until set).</summary>
    public LayerLatencyTable? Latency { get; set; }

    /// <summary>The plan for <paramref name="budget"/>; throws <see cref="ShrinkException"/> with both bounds when it is outside them.</summary>
    public MixedPrecisionPlan Plan(MixedPrecisionBudget budget) => Plan(budget, null);

    /// <summary>
    /// The plan for <paramref name="budget"/> whose written file keeps a size budget: the table counts the weights'
    /// bytes, not the per-layer graph overhead the export adds (scale and zero-point tensors, DequantizeLinear or
    /// MatMulNBits nodes), so each plan's model is written by <paramref name="writtenBytes"/> (its file size in bytes) and,
    /// while that is over the budget, the budget the solver gets is set below what the plan used by the excess (times the round) and the plan solved again
    /// (at most <paramref name="rounds"/> times). Other budgets are planned as <see cref="Plan(MixedPrecisionBudget)"/>.
    /// </summary>
    /// <exception cref="ShrinkException">The budget is outside the bounds, or no plan's file fits it; the message gives the smallest file reachable.</exception>
    public MixedPrecisionPlan PlanWritten(MixedPrecisionBudget budget, Func<MixedPrecisionPlan, long> writtenBytes, int rounds = 6)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(writtenBytes);
        var plan = Plan(budget);
        if (budget.Kind is not (BudgetKind.SizeBytes or BudgetKind.SizeRatio)) return plan;
        long limit = plan.BudgetValue, solverLimit = limit, minimum = plan.Bounds.Minimum;
        for (int round = 1; ; round++)
        {
            long written = writtenBytes(plan);
            if (written <= limit) return plan with { BudgetValue = limit, WrittenBytes = written };
            // Below what this plan used by the excess; the overhead shifts a little with the widths chosen, so each
            // further round steps further.
            solverLimit = Math.Min(solverLimit, plan.Used) - (written - limit) * round;
            if (round >= rounds || solverLimit < minimum)
            {
                // Last resort: every layer at its lowest width, the smallest file there is.
                var smallest = Plan(budget, minimum) with { BudgetValue = limit };
                long smallestWritten = writtenBytes(smallest);
                if (smallestWritten <= limit) return smallest with { WrittenBytes = smallestWritten };
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                    $"The budget {budget} ({limit:N0} bytes) cannot be kept by the written file: the smallest file mixed precision reaches (every layer at {_sensitivity.Bits.Min()} bits, with its graph overhead) is {smallestWritten:N0} bytes."));
            }
            plan = Plan(budget, solverLimit) with { BudgetValue = limit };
        }
    }

    // sizeLimit: the byte limit the solver gets instead of the budget's (PlanWritten's lowered budget).
    private MixedPrecisionPlan Plan(MixedPrecisionBudget budget, long? sizeLimit)
    {
        IReadOnlyList<AllocationLayer> problem;
        long fixedPart, floatTotal, limit;
        string unit;
        if (budget.Kind == BudgetKind.BopsRatio)
        {
            if (_macs is null) throw new InvalidOperationException("Call MeasureMacs before planning a BOPs budget.");
            // Activations stay float (32 bits); weights at b bits: a layer costs MACs × b × 32 BOPs.
            problem = Sizes.LayerBytes.Select(l => new AllocationLayer(l.Key, Omega(l.Key), l.Value.ToDictionary(v => v.Key, v => _macs[l.Key] * v.Key * 32L))).ToList();
            floatTotal = _floatMacs * 32 * 32;
            fixedPart = (_floatMacs - _macs.Values.Sum()) * 32 * 32;
            limit = (long)Math.Floor(budget.Value * floatTotal);
            unit = "BOPs";
        }
        else if (budget.Kind == BudgetKind.LatencyMs)
        {
            if (Latency is null) throw new InvalidOperationException("Set Latency (a measured LayerLatencyTable) before planning a latency budget.");
            // Tenths of microseconds keep the integer program exact enough.
            const double unitsPerMs = 10_000;
            problem = Sizes.LayerBytes.Select(l => new AllocationLayer(l.Key, Omega(l.Key), Latency.LayerMs[l.Key].Where(v => l.Value.ContainsKey(v.Key)).ToDictionary(v => v.Key, v => (long)Math.Round(v.Value * unitsPerMs)))).ToList();
            fixedPart = (long)Math.Round(Latency.FixedMs * unitsPerMs);
            limit = (long)Math.Floor(budget.Value * unitsPerMs);
            long fastest = fixedPart + BitAllocator.MinimumResource(problem);
            if (limit < fastest)
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                    $"The latency budget {budget.Value:F3} ms is below the fastest this model reaches with {string.Join("/", _sensitivity.Bits)}-bit weights: {fastest / unitsPerMs:F3} ms at batch {Latency.BatchSize}, one thread (float: {Latency.ModelMs:F3} ms)."));
            floatTotal = long.MaxValue;
            unit = "0.1 µs";
        }
        else
        {
            problem = SizeProblem();
            floatTotal = Sizes.FloatModelBytes;
            fixedPart = Sizes.FixedBytes;
            limit = sizeLimit ?? (budget.Kind == BudgetKind.SizeBytes ? (long)budget.Value : (long)Math.Floor(budget.Value * floatTotal));
            unit = "bytes";
        }
        long minimum = fixedPart + BitAllocator.MinimumResource(problem);
        if (limit < minimum || limit > floatTotal)
            throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                $"The budget {budget} ({limit:N0} {unit}) is outside what mixed precision can reach: at least {minimum:N0} {unit} (every layer at {_sensitivity.Bits.Min()} bits, ratio {(double)minimum / floatTotal:F4}) and at most {floatTotal:N0} {unit} (the float model)."));
        var allocation = BitAllocator.Solve(problem, limit - fixedPart)
            ?? throw new ShrinkException($"The solver found no allocation within {limit:N0} {unit}.");
        var layers = Sizes.LayerBytes.Keys.Select(k =>
        {
            int b = allocation.Bits[k];
            return new LayerPlan(k, _layerInfo[k].OpType, _layerInfo[k].Parameters, b, Omega(k)[b], Sizes.LayerBytes[k][b], Sizes.FloatLayerBytes[k]);
        }).ToList();
        return new MixedPrecisionPlan
        {
            LayerBits = allocation.Bits,
            Layers = layers,
            Budget = budget,
            BudgetValue = limit,
            Used = fixedPart + allocation.Resource,
            Bounds = (minimum, floatTotal),
            PredictedBytes = Sizes.TotalBytes(allocation.Bits),
            TotalOmega = allocation.Cost,
            Optimal = allocation.Optimal,
            Accounting = Accounting,
        };
    }

    private IReadOnlyDictionary<int, double> Omega(string layer) => _sensitivity.Layers.First(l => l.Name == layer).Omega;
}
