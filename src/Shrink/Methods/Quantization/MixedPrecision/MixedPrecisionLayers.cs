using Shrink.Layers;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Passes;

namespace Shrink.Methods.Quantization.MixedPrecision;

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
        PreparationProfile.Compression.Apply(prepared);
        return prepared;
    }

    /// <summary>The layers of a pre-processed model, in graph order, and the weighted nodes left out with the reason.</summary>
    public static (List<WeightLayer> Layers, List<SkippedLayer> Skipped) Select(OnnxModel prepared, IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps)
    {
        var (layers, left) = WeightLayer.SelectAll(prepared.Graph, node =>
            excludeNodes.Contains(node.Name) || excludeNodes.Contains(node.DisplayName) || excludeOps.Contains(node.OpType) ? "excluded" : null);
        return (layers, left.Select(l => new SkippedLayer(l.Name, l.OpType, l.Reason)).ToList());
    }

    /// <summary>The key of a layer in <see cref="WeightOnlyOptions.LayerBits"/>: its node name, or display name when unnamed.</summary>
    public static string Key(WeightLayer layer) => layer.Node.Name.Length > 0 ? layer.Node.Name : layer.Name;
}
