namespace Shrink.Methods.Pruning.Structured;

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

    /// <summary>
    /// FAIR-Pruner-style per-group depths: a group loses its least class-separating channels (utilization score) only as
    /// far as the reconstruction score agrees they are unimportant, within one tolerance α chosen to reach the target
    /// (needs calibration data; see <see cref="ChannelPruningOptions.FairLabels"/>).
    /// </summary>
    Fair,
}
