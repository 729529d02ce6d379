using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// A node whose weight reads a group's channels as input: along <paramref name="Axis"/>, channel c of the group is at
/// positions (<paramref name="Offset"/> + c)·<paramref name="Block"/> … + <paramref name="Block"/> − 1.
/// </summary>
/// <param name="Node">The Conv, ConvTranspose, Gemm or MatMul.</param>
/// <param name="Weight">The weight initializer.</param>
/// <param name="Axis">The weight axis of the input channels.</param>
/// <param name="Offset">Where the group starts along the input's channel axis (non-zero after a Concat), in channels.</param>
/// <param name="Block">Positions per channel (H·W after a Flatten).</param>
/// <param name="Input">The value the node reads.</param>
/// <param name="InputAxis">The channel axis of that value.</param>
public sealed record ChannelConsumer(Node Node, string Weight, int Axis, int Offset, long Block, string Input, int InputAxis);
