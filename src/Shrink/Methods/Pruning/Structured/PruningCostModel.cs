using Shrink.Evaluation;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// The MACs or parameters of a model as a function of the channels each group keeps: every weight tensor and every
/// MAC-bearing node scales with the kept fraction of each of its sliced axes (output and input channels multiply). A MatMul
/// of two computed values whose output carries tracked channels (attention's q·kᵀ and softmax·v over heads) scales with
/// the kept fraction of those.
/// </summary>
public sealed class PruningCostModel : IPruningCost
{
    private readonly double _fixed;
    private readonly (double Cost, ChannelLayout[] Layouts)[] _terms;

    private PruningCostModel(double fixedCost, (double, ChannelLayout[])[] terms)
    {
        _fixed = fixedCost;
        _terms = terms;
    }

    /// <inheritdoc />
    public double Total => _fixed + _terms.Sum(t => t.Cost);

    /// <inheritdoc />
    public double Evaluate(IReadOnlyList<int> kept)
    {
        double total = _fixed;
        foreach (var (cost, layouts) in _terms)
        {
            double f = cost;
            foreach (var l in layouts) f *= l.KeptFraction(kept);
            total += f;
        }
        return total;
    }

    /// <summary>Builds the model of <paramref name="target"/> for <paramref name="graph"/>; <paramref name="shapes"/> are value shapes at batch 1.</summary>
    public static PruningCostModel Build(ModelGraph graph, ChannelDependencyGraph dependencies, IReadOnlyDictionary<string, long[]> shapes, PruningTarget target)
    {
        if (target == PruningTarget.Latency) throw new ArgumentException("Latency is measured by LatencyCostModel.", nameof(target));
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(dependencies);
        var byTensor = dependencies.Slices.GroupBy(s => s.Tensor).ToDictionary(g => g.Key, g => g.Select(s => s.Layout).ToArray(), StringComparer.Ordinal);
        var terms = new List<(double, ChannelLayout[])>();
        double fixedCost = 0;
        if (target == PruningTarget.Params)
        {
            foreach (var t in graph.Initializers.Values)
            {
                if (t.Type is ElementType.Int64 or ElementType.String or ElementType.Bool || t.Dims.Count == 0) continue;
                if (byTensor.TryGetValue(t.Name, out var layouts)) terms.Add((t.ElementCount, layouts));
                else fixedCost += t.ElementCount;
            }
        }
        else
        {
            foreach (var node in graph.Nodes)
            {
                long macs = MacCounter.Count(node, graph, shapes);
                if (macs == 0) continue;
                var weight = OpCatalog.FindLayer(node.OpType, node.Domain) is { } schema && node.Inputs.Count > schema.WeightInput ? node.Inputs[schema.WeightInput] : null;
                if (weight is not null && byTensor.TryGetValue(weight, out var layouts)) terms.Add((macs, layouts));
                else if (node.OpType == OpTypes.MatMul && node.Inputs.All(i => graph.FindInitializer(i) is null)
                    && dependencies.Layouts.TryGetValue(node.Outputs[0], out var heads)) terms.Add((macs, [heads]));
                else fixedCost += macs;
            }
        }
        return new PruningCostModel(fixedCost, terms.ToArray());
    }
}
