namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>The quantization an equivalence transform prepares the model for.</summary>
/// <param name="WeightBits">Weight bits (8 for static int8, 2..8 for weight-only).</param>
/// <param name="PerChannelWeights">One weight scale per output channel (false: one per tensor).</param>
/// <param name="SymmetricWeights">Symmetric weight grid.</param>
/// <param name="GroupSize">Weight-only: columns per scale along the reduction axis (0: per channel).</param>
/// <param name="ActivationBits">Activation bits of static quantization; null where activations stay float (weight-only).</param>
/// <param name="SymmetricActivations">Symmetric activation ranges.</param>
public sealed record EquivalenceTarget(int WeightBits, bool PerChannelWeights, bool SymmetricWeights, int GroupSize, int? ActivationBits, bool SymmetricActivations);
