using Shrink.Registration;

namespace Shrink.Training.Schedules;

/// <summary>The registered learning-rate schedules (<c>--schedule</c>), and the warm-up they share.</summary>
public static class LearningRateSchedules
{
    /// <summary>Every class with <see cref="RegisteredAttribute"/> implementing <see cref="ILearningRateSchedule"/>.</summary>
    public static Registry<ILearningRateSchedule> Registry { get; } = Registry<ILearningRateSchedule>.Discover("learning-rate schedule");

    /// <summary>
    /// The learning rate at <paramref name="step"/> (0-based) of <paramref name="steps"/>: a linear ramp over the first
    /// <paramref name="warmup"/> steps, then <paramref name="baseRate"/> times the schedule's factor over the rest.
    /// </summary>
    public static double RateAt(ILearningRateSchedule schedule, double baseRate, long step, long steps, long warmup)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (step < warmup) return baseRate * (step + 1) / (warmup + 1);
        return baseRate * schedule.Factor(step - warmup, Math.Max(1, steps - warmup));
    }
}
