using Shrink.Layers;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// The per-channel affine op that produces a smoothed activation and absorbs the division by s exactly: the constant
/// channel vectors to divide (a LayerNormalization's scale and bias, a Mul's γ and an Add's β, a bias) and, where the
/// activation is a weighted layer's output, that layer, whose output channels are divided.
/// </summary>
/// <param name="Node">The op that produces the activation (the last of a Mul → Add pair).</param>
/// <param name="Vectors">Constant inputs (node, input index) holding one value per channel, or one value for all.</param>
/// <param name="Layer">The producing weighted layer, whose output channel j is divided by s_j; null for norms.</param>
public sealed record SmoothingAbsorber(Node Node, IReadOnlyList<(Node Node, int Input)> Vectors, WeightLayer? Layer)
{
    /// <summary>Divides every absorbed channel j by <paramref name="s"/>[j], copying constants shared with other nodes first.</summary>
    public void Divide(ModelGraph graph, ReadOnlySpan<float> s)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var (node, input) in Vectors)
        {
            var tensor = SmoothingEdits.Own(graph, node, input);
            var values = tensor.ToFloatArray();
            long[] dims = values.Length == 1 ? [s.Length] : [.. tensor.Dims];
            var divided = new float[s.Length];
            for (int j = 0; j < s.Length; j++) divided[j] = (values.Length == 1 ? values[0] : values[j]) / s[j];
            graph.SetInitializer(TensorData.FromFloats(tensor.Name, dims, divided));
        }
        if (Layer is null) return;
        var layer = SmoothingEdits.Own(graph, Layer);
        var w = layer.ReadMatrix(graph);
        for (int r = 0; r < layer.Rows; r++)
        {
            float inverse = 1f / s[r];
            var row = w.AsSpan(r * layer.Cols, layer.Cols);
            for (int c = 0; c < row.Length; c++) row[c] *= inverse;
        }
        layer.WriteMatrix(graph, w);
    }
}
