using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>Builds a <see cref="QdqPlan"/> by walking the graph in topological order and asking each op's handler to mark it.</summary>
public sealed class QdqPlanner(QdqOpRegistry registry)
{
    /// <summary>
    /// The values whose element types <see cref="Plan"/> can use: the inputs of the nodes that have a handler. A type probe
    /// that measures only these opens far faster on a large graph than one that exposes every value.
    /// </summary>
    public IReadOnlyCollection<string> TypedValues(ModelGraph graph)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            bool handled = (node.Domain.Length == 0 || node.Domain == "ai.onnx") && registry.Find(node.OpType) is not null;
            if (!handled) continue;
            foreach (var input in node.Inputs) if (input.Length > 0 && graph.FindInitializer(input) is null) values.Add(input);
        }
        return values;
    }

    /// <summary>Marks the graph (not modified). <paramref name="valueTypes"/>: element types measured by a run, when value_info lacks them.</summary>
    public QdqPlan Plan(ModelGraph graph, StaticQuantizationOptions options, IReadOnlyDictionary<string, ElementType>? valueTypes = null)
    {
        var plan = new QdqPlan();
        var context = new QdqMarkContext(graph, plan, options, valueTypes);
        foreach (var node in graph.TopologicalOrder())
        {
            if (context.Consumed.Contains(node)) continue;
            string? reason;
            var handler = node.Domain.Length == 0 || node.Domain == "ai.onnx" ? registry.Find(node.OpType) : null;
            if (context.IsExcluded(node)) reason = "excluded by the user";
            else if (node.HasSubgraph) reason = "holds a subgraph";
            else if (handler is null) reason = OpCatalog.FragileOps.Contains(node.OpType) ? "kept in float (numerically fragile)" : "no int8 handler for this op";
            else reason = handler.Mark(node, context);
            if (reason is null) plan.Quantized.Add(node);
            else plan.LeftInFloat.Add(new FloatNode(node, reason));
        }
        return plan;
    }
}
