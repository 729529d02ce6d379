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
/// <param name="Subgraph">Where the node sits when it is inside a subgraph (e.g. <c>If 'branch' then_branch</c>); null in the main graph.</param>
public sealed record CompressionCandidate(string Node, string OpType, string Weight, IReadOnlyList<long> WeightShape, long Parameters, long OutputChannels, bool Quantizable, bool Prunable, string? Subgraph = null);
