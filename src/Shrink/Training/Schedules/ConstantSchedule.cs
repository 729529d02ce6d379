using Shrink.Registration;

namespace Shrink.Training.Schedules;

/// <summary>The base rate throughout.</summary>
[Registered("constant", "the base rate throughout", Order = 2)]
public sealed class ConstantSchedule : ILearningRateSchedule
{
    /// <inheritdoc />
    public double Factor(long step, long steps) => 1;
}
