namespace Shrink.Pruning.Structured;

/// <summary>How the removal is spread over the channel groups.</summary>
public enum PruningSchedule
{
    /// <summary>One channel rate for every prunable group, chosen so that the model reaches the target.</summary>
    Uniform,

    /// <summary>
    /// One ranking over all groups (scores normalized per group), removing the least important blocks of channels first,
    /// down to a per-group floor, until the model reaches the target.
    /// </summary>
    Global,
}
