using Shrink.Registration;

namespace Shrink.Training.Schedules;

/// <summary>Cosine decay from the base rate to zero over the run (Loshchilov and Hutter's SGDR without restarts).</summary>
[Registered("cosine", "cosine decay to zero over the run (the default)", Order = 0)]
public sealed class CosineSchedule : ILearningRateSchedule
{
    /// <inheritdoc />
    public double Factor(long step, long steps) =>
        steps <= 1 ? 1 : 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp((double)step / steps, 0, 1)));
}
