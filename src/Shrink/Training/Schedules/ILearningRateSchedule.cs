namespace Shrink.Training.Schedules;

/// <summary>
/// A learning-rate schedule registered by name (<see cref="LearningRateSchedules"/>): the factor applied to the base
/// learning rate at each step, after the linear warm-up that every schedule shares.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The factor at <paramref name="step"/> (0-based, after warm-up) of <paramref name="steps"/> steps (after warm-up).</summary>
    double Factor(long step, long steps);
}
