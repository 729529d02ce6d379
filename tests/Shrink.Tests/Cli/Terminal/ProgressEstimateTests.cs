using Shrink.Cli.Terminal;

namespace Shrink.Tests.Cli.Terminal;

public class ProgressEstimateTests
{
    [Fact]
    public void Time_left_extrapolates_the_rate_so_far()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), ProgressEstimate.Remaining(TimeSpan.FromSeconds(10), 25, 100));
        Assert.Equal(TimeSpan.Zero, ProgressEstimate.Remaining(TimeSpan.FromSeconds(10), 100, 100));
    }

    [Theory]
    [InlineData(10.0, 1, 100)]   // 1 % done: start-up costs dominate
    [InlineData(0.5, 50, 100)]  // half a second in: too short to time
    [InlineData(10.0, 0, 100)]
    [InlineData(10.0, 5, 0)]
    public void No_estimate_while_there_is_too_little_to_go_on(double elapsedSeconds, long done, long total) =>
        Assert.Null(ProgressEstimate.Remaining(TimeSpan.FromSeconds(elapsedSeconds), done, total));

    [Fact]
    public void No_estimate_without_a_total() => Assert.Null(ProgressEstimate.Remaining(TimeSpan.FromSeconds(10), 5, null));

    [Theory]
    [InlineData(0.42, "0.4 s")]
    [InlineData(12.4, "12 s")]
    [InlineData(185, "3 min 05 s")]
    [InlineData(3725, "1 h 02 min")]
    public void Durations_read_as_people_write_them(double seconds, string expected) =>
        Assert.Equal(expected, ProgressEstimate.Format(TimeSpan.FromSeconds(seconds)));
}
