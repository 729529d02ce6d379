namespace Shrink.Methods.Pruning.Dependency;

/// <summary>A run of <paramref name="Count"/> consecutive channels, all of group <paramref name="GroupId"/>, inside a value's channel axis.</summary>
/// <param name="GroupId">The channel group (an index into <see cref="ChannelDependencyGraph.Groups"/> once the graph is built).</param>
/// <param name="Count">Channels in the run (the group's size).</param>
public readonly record struct ChannelSegment(int GroupId, int Count);
