using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Validation;

/// <summary>Checks that the tensors compression changes hold finite numbers.</summary>
public static class FiniteWeights
{
    /// <summary>
    /// Refuses NaN or Inf in the tensors that quantization, pruning and refitting change, before any work is done, naming the
    /// tensor and a node that reads it: the weights and biases of Conv, ConvTranspose, Gemm and MatMul, and the parameters
    /// of BatchNormalization (folding moves them into weights). Other constants stay exact and may hold ±inf: exporters
    /// write the −inf (or float-min) fill value of a causal attention mask as such a constant, read by a Where or an Add.
    /// </summary>
    /// <exception cref="ShrinkException">A parameter holds NaN or Inf.</exception>
    public static void Ensure(OnnxModel model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (t, reader) in Parameters(model.Graph))
        {
            long bad = t.IndexOfNonFinite();
            if (bad >= 0)
                throw new ShrinkException($"{source}: initializer '{t.Name}' (read by node '{reader.DisplayName}', {reader.OpType}) holds NaN or Inf at element {bad}; fix the model before quantizing.");
        }
    }

    /// <summary>
    /// The initializers that compression changes (see <see cref="Ensure"/>), each once, with the first node that reads it
    /// as a weight, bias or normalization parameter.
    /// </summary>
    public static IEnumerable<(TensorData Tensor, Node Reader)> Parameters(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
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
}
