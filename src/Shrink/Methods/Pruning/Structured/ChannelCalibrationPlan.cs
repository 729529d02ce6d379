using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// The calibration batch of channel pruning within a memory budget (<see cref="ActivationBatchPlan"/>, as static
/// calibration and the Hessian passes do), from the value shapes measured on one sample. Each data pass is planned and
/// the most demanding one sets the batch that all of them use: the per-channel statistics expose every statistics value
/// at once (only sums are kept); the greedy selection captures every consumer's input and output at once (the runtime's
/// output and a copy); the least-squares refit captures one layer at a time, its input and output (and the residual
/// branch it is summed with) on the pruned and the unpruned model, each copied.
/// </summary>
internal static class ChannelCalibrationPlan
{
    /// <summary>
    /// The passes that will read calibration data, in the order they run: per-channel statistics of the values (null:
    /// none; with <paramref name="Fair"/> also by class, which reads the model's output), the greedy selection, the refit.
    /// </summary>
    public sealed record Passes(IReadOnlyCollection<string>? StatisticsValues, bool Greedy, bool Reconstruct, bool Fair = false)
    {
        /// <summary>The passes in words, for the calibration line ("activation statistics, greedy selection").</summary>
        public string Describe() => string.Join(", ", new[]
        {
            StatisticsValues is null ? null : Fair ? "activation and class-conditional statistics" : "activation statistics",
            Greedy ? "greedy selection" : null,
            Reconstruct ? "least-squares refit" : null,
        }.OfType<string>());

        /// <summary>Whether any pass reads data.</summary>
        public bool Any => StatisticsValues is not null || Greedy || Reconstruct;
    }

    /// <summary>
    /// Plans the batch of <paramref name="passes"/> over <paramref name="model"/> (whose values measured on
    /// <paramref name="sample"/> have <paramref name="shapes"/>), at most <paramref name="requestedBatch"/>, within
    /// <paramref name="budgetBytes"/>. A pass cannot split its tensors over several passes, so one sample at a time is
    /// the floor.
    /// </summary>
    public static ActivationBatchPlan Choose(OnnxModel model, ChannelDependencyGraph dependencies, IReadOnlyDictionary<string, long[]> shapes,
        DataBatch sample, Passes passes, long budgetBytes, int requestedBatch)
    {
        var graph = model.Graph;
        var graphInputs = new HashSet<string>(graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        long samples = Math.Max(1, sample.Count);
        (string Name, long Bytes) Size(string value) =>
            (value, graphInputs.Contains(value) || !shapes.TryGetValue(value, out var s) ? 0 : s.Aggregate(1L, (a, d) => a * Math.Max(0, d)) * sizeof(float) / samples);
        long inputBytes = 2 * ActivationFootprint.InputBytes(sample);
        var plans = new List<ActivationBatchPlan>();

        if (passes.StatisticsValues is { } values)
        {
            var exposed = values.Concat(graph.Outputs.Take(passes.Fair ? 1 : 0).Select(o => o.Name)).Distinct(StringComparer.Ordinal).Select(Size).ToArray();
            plans.Add(ActivationBatchPlan.Create(exposed, inputBytes, 1, budgetBytes, requestedBatch));
        }
        if (passes.Greedy)
        {
            var exposed = dependencies.Groups.Where(g => g.Prunable).SelectMany(g => g.Consumers)
                .SelectMany(c => new[] { c.Input, c.Node.Outputs[0] }).Distinct(StringComparer.Ordinal).Select(Size).ToArray();
            plans.Add(ActivationBatchPlan.Create(exposed, inputBytes, 2, budgetBytes, requestedBatch));
        }
        if (passes.Reconstruct)
        {
            // Every layer the refit may reach: its input and output, and the residual branch when it feeds an Add.
            var layers = dependencies.Groups.SelectMany(g => g.Producers.Select(p => p.Node).Concat(g.Consumers.Select(c => c.Node))).Distinct();
            var largest = layers.Select(n =>
            {
                string output = n.Outputs[0];
                var consumers = graph.Consumers(output);
                bool residual = consumers.Count == 1 && consumers[0].OpType == OpTypes.Add;
                long bytes = Size(n.Inputs[0]).Bytes + Size(output).Bytes * (residual ? 2 : 1);
                return (n.DisplayName, bytes);
            }).DefaultIfEmpty(("none", 0)).MaxBy(l => l.Item2);
            plans.Add(ActivationBatchPlan.Create([largest], inputBytes, 2, budgetBytes, requestedBatch));
        }
        var plan = plans.Count == 0
            ? ActivationBatchPlan.Create([], inputBytes, 1, budgetBytes, requestedBatch)
            : plans.OrderBy(p => p.Groups.Count > 1 ? 0 : p.BatchSize).ThenByDescending(p => p.BytesPerSample).First();
        return plan.Groups.Count > 1 ? plan with { Groups = [plan.Groups.SelectMany(g => g).ToArray()] } : plan;
    }
}
