using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>A node that creates a group's channels: its weight's <paramref name="Axis"/> indexes them (a Conv's filters, a Gemm's output features).</summary>
/// <param name="Node">The Conv, ConvTranspose, Gemm or MatMul.</param>
/// <param name="Weight">The weight initializer.</param>
/// <param name="Axis">The weight axis of the output channels.</param>
/// <param name="Output">The value the node writes.</param>
/// <param name="Block">Weight positions per channel along <paramref name="Axis"/> (a head's dh columns; 1 for plain channels).</param>
/// <param name="Repeats">How many times the group's run repeats along <paramref name="Axis"/> (3 for a fused q,k,v projection).</param>
public sealed record ChannelProducer(Node Node, string Weight, int Axis, string Output, long Block = 1, int Repeats = 1);
