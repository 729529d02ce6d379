using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>An unfused BatchNormalization over a group's channels: its scale (γ) entry <paramref name="Offset"/> + c belongs to channel c.</summary>
/// <param name="Node">The BatchNormalization.</param>
/// <param name="Scale">The γ initializer.</param>
/// <param name="Offset">Where the group starts along the normalized channels.</param>
public sealed record ChannelBatchNorm(Node Node, string Scale, int Offset);
