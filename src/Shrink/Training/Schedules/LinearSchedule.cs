using Shrink.Registration;

namespace Shrink.Training.Schedules;

/// <summary>Linear decay from the base rate to zero over the run.</summary>
[Registered("linear", "linear decay to zero over the run", Order = 1)]
public sealed class LinearSchedule : ILearningRateSchedule
{
    /// <inheritdoc />
    public double Factor(long step, long steps) => steps <= 1 ? 1 : Math.Clamp(1 - (double)step / steps, 0, 1);
}
