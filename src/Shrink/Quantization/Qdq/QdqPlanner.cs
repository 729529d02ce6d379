using Shrink.Graph;
using Shrink.Onnx;

namespace Shrink.Quantization.Qdq;

/// <summary>Builds a <see cref="QdqPlan"/> by walking the graph in topological order and asking each op's handler to mark it.</summary>
public sealed class QdqPlanner(QdqOpRegistry registry)
{
    /// <summary>Op types that mean the model is already quantized.</summary>
    private static readonly HashSet<string> QuantizedOps = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
        "QGemm", "QLinearAdd", "QLinearMul", "MatMulNBits", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QLinearGlobalAveragePool",
    };

    /// <summary>
    /// Refuses models that are already quantized, naming the first quantized node; <paramref name="action"/> is what the
    /// caller does (quantize, prune, factor), for the advice to do it on the float model instead.
    /// </summary>
    public static void EnsureNotQuantized(OnnxModel model, string source, string action = "quantize")
    {
        var node = model.Graph.Nodes.FirstOrDefault(n => QuantizedOps.Contains(n.OpType));
        if (node is not null)
            throw new ShrinkException($"{source}: the model is already quantized (node '{node.DisplayName}' is {node.OpType}); {action} the float model instead.");
    }

    /// <summary>Refuses weights holding NaN or Inf before any work is done, naming the tensor and a node that reads it.</summary>
    public static void EnsureFiniteWeights(OnnxModel model, string source)
    {
        foreach (var t in model.Graph.Initializers.Values)
        {
            long bad = t.IndexOfNonFinite();
            if (bad < 0) continue;
            var reader = model.Graph.Consumers(t.Name).FirstOrDefault();
            throw new ShrinkException($"{source}: initializer '{t.Name}'{(reader is null ? "" : $" (read by node '{reader.DisplayName}', {reader.OpType})")} holds NaN or Inf at element {bad}; fix the model before quantizing.");
        }
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
            else if (handler is null) reason = QdqOpRegistry.FragileOps.Contains(node.OpType) ? "kept in float (numerically fragile)" : "no int8 handler for this op";
            else reason = handler.Mark(node, context);
            if (reason is null) plan.Quantized.Add(node);
            else plan.LeftInFloat.Add(new FloatNode(node, reason));
        }
        return plan;
    }
}
