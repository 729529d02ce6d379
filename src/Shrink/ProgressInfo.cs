namespace Shrink;

/// <summary>Progress of a long step (evaluation, calibration, sweeps): what runs and how far it got.</summary>
/// <param name="Stage">A short name of the step, e.g. <c>accuracy</c>.</param>
/// <param name="Done">Units done (samples, layers, rounds).</param>
/// <param name="Total">Units in all, when known.</param>
public sealed record ProgressInfo(string Stage, long Done, long? Total)
{
    /// <summary>A short live figure shown beside the count, e.g. <c>loss 0.2315, 812 samples/s</c>; null when none.</summary>
    public string? Detail { get; init; }
}
