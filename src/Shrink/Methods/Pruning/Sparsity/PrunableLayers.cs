using Shrink.Layers;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>The Conv/Gemm/MatMul layers with their own constant float weight, in graph order, and the ones left alone with why.</summary>
internal static class PrunableLayers
{
    public static (List<WeightLayer> Layers, List<(string Name, string OpType, string Reason)> Left) Select(OnnxModel model, IReadOnlySet<string> excludeNodes)
    {
        var (layers, left) = WeightLayer.SelectAll(model.Graph, node => excludeNodes.Contains(node.Name) || excludeNodes.Contains(node.DisplayName) ? "excluded" : null);
        // Sparsity and low rank work on the main graph; layers inside If/Loop/Scan bodies are listed as left alone.
        left.AddRange(Subgraphs.Layers(model.Graph).Select(l => ($"{l.Node.DisplayName} (in {l.Scope.Path})", l.Node.OpType, "inside an If/Loop/Scan subgraph, which pruning and low rank do not reach into")));
        return (layers, left);
    }

    /// <summary>Whether XᵀX of the layer's input can be collected (not a grouped or 3-D conv).</summary>
    public static bool CanCollect(WeightLayer layer, out string? reason)
    {
        reason = null;
        return layer.Node.OpType != OpTypes.Conv || LayerHessian.SupportsConv(layer, out reason);
    }

    /// <summary>Nonzero elements and elements of all float initializers.</summary>
    public static (long Total, long Nonzero) CountParameters(OnnxModel model)
    {
        long total = 0, nonzero = 0;
        foreach (var t in model.Graph.Initializers.Values)
        {
            if (t.Type != ElementType.Float) continue;
            var values = t.ToFloatArray();
            total += values.Length;
            foreach (float v in values) if (v != 0) nonzero++;
        }
        return (total, nonzero);
    }
}
