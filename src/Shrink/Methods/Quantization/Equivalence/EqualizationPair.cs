using Shrink.Layers;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Two weighted layers cross-layer equalization can rescale against each other: <see cref="First"/>'s output channel i
/// reaches <see cref="Second"/>'s input channel i only through <see cref="Between"/>, channel-wise ops f with
/// f(x/s) = f(x)/s for s &gt; 0 (Relu, LeakyRelu, PRelu, MaxPool, AveragePool; a Clip becomes Relu/Max and Min with
/// per-channel bounds).
/// </summary>
/// <param name="First">The layer whose output channels are divided.</param>
/// <param name="Between">The ops between the two, in order (may be empty).</param>
/// <param name="Second">The layer whose input channels are multiplied.</param>
/// <param name="FirstBias">The first layer's bias initializer (divided with its rows), or null when it has none.</param>
public sealed record EqualizationPair(WeightLayer First, IReadOnlyList<Node> Between, WeightLayer Second, string? FirstBias)
{
    /// <summary>"A → B" for reports.</summary>
    public string Name => $"{First.Name} → {Second.Name}";
}
