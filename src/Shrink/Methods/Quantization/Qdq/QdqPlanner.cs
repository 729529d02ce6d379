using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>Builds a <see cref="QdqPlan"/> by walking the graph in topological order and asking each op's handler to mark it.</summary>
public sealed class QdqPlanner(QdqOpRegistry registry)
{
    /// <summary>
    /// Refuses models that are already quantized, naming the first quantized node; <paramref name="action"/> is what the
    /// caller does (quantize, prune, factor), for the advice to do it on the float model instead.
    /// </summary>
    public static void EnsureNotQuantized(OnnxModel model, string source, string action = "quantize")
    {
        var node = model.Graph.Nodes.FirstOrDefault(n => OpCatalog.QuantizedModelOps.Contains(n.OpType));
        if (node is not null)
            throw new ShrinkException($"{source}: the model is already quantized (node '{node.DisplayName}' is {node.OpType}); {action} the float model instead.");
    }

    /// <summary>
    /// Refuses NaN or Inf in the tensors that quantization, pruning and refitting change, before any work is done, naming the
    /// tensor and a node that reads it: the weights and biases of Conv, ConvTranspose, Gemm and MatMul, and the parameters
    /// of BatchNormalization (folding moves them into weights). Other constants stay exact and may hold ±inf: exporters
    /// write the −inf (or float-min) fill value of a causal attention mask as such a constant, read by a Where or an Add.
    /// </summary>
    public static void EnsureFiniteWeights(OnnxModel model, string source)
    {
        foreach (var (t, reader) in Parameters(model.Graph))
        {
            long bad = t.IndexOfNonFinite();
            if (bad >= 0)
                throw new ShrinkException($"{source}: initializer '{t.Name}' (read by node '{reader.DisplayName}', {reader.OpType}) holds NaN or Inf at element {bad}; fix the model before quantizing.");
        }
    }

    /// <summary>
    /// The initializers that compression changes (see <see cref="EnsureFiniteWeights"/>), each once, with the first node
    /// that reads it as a weight, bias or normalization parameter.
    /// </summary>
    public static IEnumerable<(TensorData Tensor, Node Reader)> Parameters(ModelGraph graph)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (!(node.Domain.Length == 0 || node.Domain == "ai.onnx")) continue;
            foreach (int index in ParameterInputs(node))
            {
                if (index >= node.Inputs.Count || graph.FindInitializer(node.Inputs[index]) is not { } t || !seen.Add(t.Name)) continue;
                yield return (t, node);
            }
        }
    }

    private static IEnumerable<int> ParameterInputs(Node node)
    {
        if (node.OpType == OpTypes.BatchNormalization) return [1, 2, 3, 4];
        return OpCatalog.FindLayer(node.OpType, node.Domain) is { } schema ? (schema.BiasInput >= 0 ? [schema.WeightInput, schema.BiasInput] : [schema.WeightInput]) : [];
    }

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
