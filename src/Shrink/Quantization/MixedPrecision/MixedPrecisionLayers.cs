using Shrink.Onnx;
using Shrink.Quantization.WeightOnly;

namespace Shrink.Quantization.MixedPrecision;

/// <summary>
/// The layers mixed precision chooses a width for: the Conv, Gemm and MatMul nodes with an unshared constant float
/// weight that weight-only quantization would quantize, on the pre-processed model (BatchNormalization folded).
/// </summary>
public static class MixedPrecisionLayers
{
    /// <summary>A pre-processed copy of <paramref name="model"/>, as weight-only quantization sees it.</summary>
    public static OnnxModel Prepare(OnnxModel model)
    {
        var prepared = model.Clone();
        StaticQuantizer.Preprocess(prepared);
        return prepared;
    }

    /// <summary>The layers of a pre-processed model, in graph order, and the weighted nodes left out with the reason.</summary>
    public static (List<WeightLayer> Layers, List<SkippedLayer> Skipped) Select(OnnxModel prepared, IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps)
    {
        var graph = prepared.Graph;
        var layers = new List<WeightLayer>();
        var skipped = new List<SkippedLayer>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (node.OpType is not ("Conv" or "Gemm" or "MatMul" or "ConvTranspose") || (node.Domain.Length > 0 && node.Domain != "ai.onnx")) continue;
            if (excludeNodes.Contains(node.Name) || excludeNodes.Contains(node.DisplayName) || excludeOps.Contains(node.OpType))
            {
                skipped.Add(new SkippedLayer(node.DisplayName, node.OpType, "excluded"));
                continue;
            }
            var layer = WeightLayer.TryCreate(node, graph, out var reason);
            if (layer is null)
            {
                if (reason != "the weight is computed, not a constant") skipped.Add(new SkippedLayer(node.DisplayName, node.OpType, reason!));
                continue;
            }
            if (graph.Consumers(layer.WeightName).Count > 1 || graph.IsGraphOutput(layer.WeightName))
            {
                skipped.Add(new SkippedLayer(node.DisplayName, node.OpType, "its weight is shared with other nodes"));
                continue;
            }
            layers.Add(layer);
        }
        return (layers, skipped);
    }

    /// <summary>The key of a layer in <see cref="WeightOnlyOptions.LayerBits"/>: its node name, or display name when unnamed.</summary>
    public static string Key(WeightLayer layer) => layer.Node.Name.Length > 0 ? layer.Node.Name : layer.Name;
}
