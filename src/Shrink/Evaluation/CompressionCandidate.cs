namespace Shrink.Evaluation;

/// <summary>A node whose constant weight later passes can quantize or prune.</summary>
/// <param name="Node">The node's display name.</param>
/// <param name="OpType">The op type.</param>
/// <param name="Weight">The weight initializer's name.</param>
/// <param name="WeightShape">The weight's dims.</param>
/// <param name="Parameters">Elements in the weight.</param>
/// <param name="OutputChannels">Size of the output-channel axis.</param>
/// <param name="Quantizable">Weight quantization applies.</param>
/// <param name="Prunable">Output channels can be pruned.</param>
public sealed record CompressionCandidate(string Node, string OpType, string Weight, IReadOnlyList<long> WeightShape, long Parameters, long OutputChannels, bool Quantizable, bool Prunable);
