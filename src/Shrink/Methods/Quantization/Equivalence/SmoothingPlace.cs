using Shrink.Layers;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// One activation smoothing can rescale: <paramref name="Tensor"/>, read only by weighted layers (<paramref name="Readers"/>,
/// which share one s) and produced by an op that absorbs the division (<paramref name="Absorber"/>).
/// </summary>
/// <param name="Tensor">The activation X.</param>
/// <param name="Channels">Its channels (the last axis; the readers' reduction length K).</param>
/// <param name="Readers">The MatMul/Gemm layers reading X, whose input channel j is multiplied by s_j.</param>
/// <param name="Absorber">The op producing X, which is divided by s.</param>
public sealed record SmoothingPlace(string Tensor, int Channels, IReadOnlyList<WeightLayer> Readers, SmoothingAbsorber Absorber)
{
    /// <summary>"producer → reader, reader" for reports.</summary>
    public string Describe() => $"{Absorber.Node.DisplayName} → {string.Join(", ", Readers.Select(r => r.Name))}";
}
