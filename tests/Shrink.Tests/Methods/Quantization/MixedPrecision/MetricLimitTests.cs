using Shrink.Methods.Quantization.MixedPrecision;

namespace Shrink.Tests.Methods.Quantization.MixedPrecision;

public sealed class MetricLimitTests
{
    [Fact]
    public void Higher_is_better_loses_points_and_lower_is_better_loses_percent()
    {
        var accuracy = new MetricLimit(LowerIsBetter: false, 0.5);
        var perplexity = new MetricLimit(LowerIsBetter: true, 0.5);

        Assert.Equal(1.0, accuracy.Loss(0.90, 0.89), 9);          // 0.90 → 0.89: one point
        Assert.Equal(1.0, perplexity.Loss(10.0, 10.1), 9);        // 10 → 10.1: one percent
        Assert.Equal(-1.0, perplexity.Loss(10.0, 9.9), 9);        // lower perplexity is a gain
        Assert.Equal(("drop", "pt"), (accuracy.Kind, accuracy.Unit));
        Assert.Equal(("increase", "%"), (perplexity.Kind, perplexity.Unit));
    }
}
