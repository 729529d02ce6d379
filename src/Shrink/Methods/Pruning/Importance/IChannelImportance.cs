using Shrink.Methods.Pruning.Dependency;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// An importance criterion: one score per channel of a group (higher = more important). Criteria read weights and
/// statistics through <see cref="ImportanceContext"/> and the group's producer/consumer lists, never op types.
/// </summary>
public interface IChannelImportance
{
    /// <summary>The registered name, e.g. <c>l1</c>.</summary>
    string Name { get; }

    /// <summary>True when the criterion needs calibration activations (<see cref="ImportanceContext.Activations"/>).</summary>
    bool NeedsData { get; }

    /// <summary>Scores the channels of <paramref name="group"/>; the array has <see cref="ChannelGroup.Size"/> entries.</summary>
    /// <exception cref="ShrinkException">The criterion does not apply to the model (e.g. no BatchNormalization for <c>bn-scale</c>).</exception>
    double[] Score(ChannelGroup group, ImportanceContext context);
}
