using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>What handlers see while marking: the graph, the plan being built, and the options.</summary>
public sealed class QdqMarkContext
{
    internal QdqMarkContext(ModelGraph graph, QdqPlan plan, StaticQuantizationOptions options, IReadOnlyDictionary<string, ElementType>? valueTypes)
    {
        ValueTypes = valueTypes;
        Graph = graph;
        Plan = plan;
        Options = options;
    }

    /// <summary>The graph being marked (read only).</summary>
    public ModelGraph Graph { get; }

    /// <summary>The plan being built.</summary>
    public QdqPlan Plan { get; }

    /// <summary>Element types measured by running the model once (exporters often omit value_info); null when unknown.</summary>
    public IReadOnlyDictionary<string, ElementType>? ValueTypes { get; }

    /// <summary>The options.</summary>
    public StaticQuantizationOptions Options { get; }

    /// <summary>Nodes already consumed by a fold (a Relu merged into its producer).</summary>
    internal HashSet<Node> Consumed { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>True when <paramref name="name"/> is a float32 initializer.</summary>
    public bool IsFloatConstant(string name) => Graph.FindInitializer(name) is { Type: ElementType.Float };

    /// <summary>True when <paramref name="name"/> is a computed or input value (not an initializer) that is float or of unknown type.</summary>
    public bool IsActivation(string name)
    {
        if (name.Length == 0 || Graph.FindInitializer(name) is not null) return false;
        if (ValueTypes is not null && ValueTypes.TryGetValue(name, out var measured)) return measured == ElementType.Float;
        var info = Graph.FindValueInfo(name);
        return info is null || info.Type is ElementType.Float or ElementType.Undefined;
    }

    /// <summary>
    /// Marks a node's output for quantization. A single Relu (or Clip from 0) consumer is folded into it when the
    /// activations are asymmetric (the zero point then sits at the bottom of the range, so Q clips like Relu).
    /// Graph outputs stay float so that the model's interface and output precision are unchanged.
    /// </summary>
    public void MarkOutput(Node node)
    {
        string output = node.Outputs[0];
        if (Graph.IsGraphOutput(output)) return;
        var consumers = Graph.Consumers(output);
        // MatMul → Add(constant bias): leave the product in float (no requantizing it only to dequantize it for a float
        // Add); ORT builds MatMulIntegerToFloat from DQ·DQ→MatMul, and MatMulBiasFusion writes the Add into it.
        if (node.OpType == OpTypes.MatMul && consumers.Count == 1 && consumers[0].OpType == OpTypes.Add && consumers[0].Inputs.Any(i => Graph.FindInitializer(i) is not null))
            return;
        if (!Options.SymmetricActivations && consumers.Count == 1 && IsFoldableActivation(consumers[0]) && !IsExcluded(consumers[0]) && !Graph.IsGraphOutput(consumers[0].Outputs[0]))
        {
            var activation = consumers[0];
            Plan.Folded.Add(new FoldedActivation(activation, node));
            Consumed.Add(activation);
            Plan.MarkCalibrated(activation.Outputs[0]);
            return;
        }
        Plan.MarkCalibrated(output);
    }

    private bool IsFoldableActivation(Node node)
    {
        if (node.Domain.Length != 0) return false;
        if (node.OpType == OpTypes.Relu) return true;
        if (node.OpType != OpTypes.Clip) return false;
        // Opset ≥ 11: min/max are inputs; the minimum must be a constant 0.
        if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0)
            return Graph.FindInitializer(node.Inputs[1]) is { Type: ElementType.Float } min && min.ElementCount == 1 && min.AsSpan<float>()[0] == 0f;
        return node.HasAttribute("min") && node.GetFloat("min", 0f) == 0f;
    }

    /// <summary>True when the user excluded this node by name or op type.</summary>
    public bool IsExcluded(Node node) =>
        Options.ExcludeOps.Contains(node.OpType) || Options.ExcludeNodes.Contains(node.Name) || Options.ExcludeNodes.Contains(node.DisplayName);
}
