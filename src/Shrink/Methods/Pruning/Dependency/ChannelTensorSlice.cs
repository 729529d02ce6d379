using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// An initializer whose axis <see cref="Axis"/> is indexed by the channels of <see cref="Layout"/>: a producer's weight
/// rows and bias, a consumer's weight input slices, BatchNormalization parameters, a per-channel constant operand.
/// Removing channels gathers the surviving positions along that axis.
/// </summary>
/// <param name="Tensor">The initializer name.</param>
/// <param name="Axis">The axis of the initializer that the channels index.</param>
/// <param name="Layout">The channels along that axis.</param>
/// <param name="Node">The node that reads the initializer.</param>
/// <param name="Role">What the slice is (for messages): <c>output</c>, <c>input</c>, <c>bias</c>, <c>parameter</c>.</param>
public sealed record ChannelTensorSlice(string Tensor, int Axis, ChannelLayout Layout, Node Node, string Role);
