using Shrink.Training.Schedules;

namespace Shrink.Tests.Training.Schedules;

public sealed class LearningRateSchedulesTests
{
    [Fact]
    public void Cosine_starts_at_the_base_rate_halves_midway_and_ends_near_zero()
    {
        var cosine = LearningRateSchedules.Registry.Create("cosine");
        Assert.Equal(0.1, LearningRateSchedules.RateAt(cosine, 0.1, 0, 100, 0), 9);
        Assert.Equal(0.05, LearningRateSchedules.RateAt(cosine, 0.1, 50, 100, 0), 9);
        Assert.True(LearningRateSchedules.RateAt(cosine, 0.1, 99, 100, 0) < 1e-4);
    }

    [Fact]
    public void Warmup_ramps_linearly_then_the_schedule_starts_from_the_base_rate()
    {
        var constant = LearningRateSchedules.Registry.Create("constant");
        Assert.Equal(0.25, LearningRateSchedules.RateAt(constant, 1, 0, 100, 3), 9);
        Assert.Equal(0.75, LearningRateSchedules.RateAt(constant, 1, 2, 100, 3), 9);
        Assert.Equal(1, LearningRateSchedules.RateAt(constant, 1, 3, 100, 3), 9);
        var linear = LearningRateSchedules.Registry.Create("linear");
        Assert.Equal(1, LearningRateSchedules.RateAt(linear, 1, 10, 110, 10), 9);
        Assert.Equal(0.5, LearningRateSchedules.RateAt(linear, 1, 60, 110, 10), 9);
    }
}
