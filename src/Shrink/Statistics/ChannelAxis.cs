namespace Shrink.Statistics;

/// <summary>
/// Where the channels of a value lie: along <paramref name="Axis"/>, <paramref name="Channels"/> channels each owning
/// <paramref name="Block"/> consecutive positions (1 for a conv output; H·W after an NCHW Flatten).
/// </summary>
public sealed record ChannelAxis(int Axis, int Channels, long Block = 1);
