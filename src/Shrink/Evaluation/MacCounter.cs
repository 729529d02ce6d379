using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Evaluation;

/// <summary>Multiply-accumulates of the compute-heavy ops, from weight dims and measured output shapes (each op's rule is its <see cref="OpSchema.CountMacs"/>).</summary>
public static class MacCounter
{
    /// <summary>
    /// MACs of one node given value shapes (name → dims); 0 for ops without multiplications worth counting
    /// and for nodes whose shapes are unknown.
    /// </summary>
    public static long Count(Node node, ModelGraph graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (node.Outputs.Count == 0 || !shapes.TryGetValue(node.Outputs[0], out var outShape)) return 0;
        long outCount = MacQuery.Product(outShape);
        long[]? In(int i) => node.Inputs.Count > i && node.Inputs[i].Length > 0
            ? (shapes.TryGetValue(node.Inputs[i], out var s) ? s : graph.FindInitializer(node.Inputs[i])?.Dims.ToArray())
            : null;
        // The rule is the op's, whatever its domain (ORT writes its integer kernels in either).
        return OpCatalog.FindAnyDomain(node.OpType)?.CountMacs is { } count ? count(new MacQuery(node.GetInt, In, outCount)) : 0;
    }

    /// <summary>
    /// The values whose shapes <see cref="Count"/> can use: the first output and the inputs of the ops it counts. A shape
    /// probe that measures only these opens far faster on a large graph than one that exposes every value.
    /// </summary>
    public static IReadOnlyCollection<string> ValuesRead(ModelGraph graph)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (!OpCatalog.MacCounted.Contains(node.OpType) || node.Outputs.Count == 0) continue;
            values.Add(node.Outputs[0]);
            foreach (var input in node.Inputs) if (input.Length > 0 && graph.FindInitializer(input) is null) values.Add(input);
        }
        return values;
    }
}
