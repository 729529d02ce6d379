using Shrink.Graph;

namespace Shrink.Pruning.Dependency;

/// <summary>A node that creates a group's channels: its weight's <paramref name="Axis"/> indexes them (a Conv's filters, a Gemm's output features).</summary>
/// <param name="Node">The Conv, ConvTranspose, Gemm or MatMul.</param>
/// <param name="Weight">The weight initializer.</param>
/// <param name="Axis">The weight axis of the output channels.</param>
/// <param name="Output">The value the node writes.</param>
public sealed record ChannelProducer(Node Node, string Weight, int Axis, string Output);
