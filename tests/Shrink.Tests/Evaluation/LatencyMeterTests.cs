using Shrink.Evaluation;

namespace Shrink.Tests.Evaluation;

public class LatencyMeterTests
{
    [Theory]
    [InlineData(0.5, 3.0)]
    [InlineData(0.9, 4.6)]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 5.0)]
    public void Percentile_interpolates_between_order_statistics(double q, double expected)
    {
        Assert.Equal(expected, LatencyMeter.Percentile([5.0, 1.0, 4.0, 2.0, 3.0], q), 12);
    }

    [Fact]
    public void Percentile_of_nothing_is_nan() => Assert.True(double.IsNaN(LatencyMeter.Percentile([], 0.5)));
}
