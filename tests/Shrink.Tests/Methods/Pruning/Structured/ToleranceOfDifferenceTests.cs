using Shrink.Methods.Pruning.Structured;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class ToleranceOfDifferenceTests
{
    private static readonly double[] Ascending = [0, 1, 2, 3, 4, 5, 6, 7];

    [Fact]
    public void AgreeingScoresLetALayerLoseHalfAtZeroTolerance()
    {
        // Low utilization = low reconstruction: the k lowest-utilization units meet the k most important only past n/2.
        var curve = ToleranceOfDifference.Curve(Ascending, Ascending);
        Assert.Equal([0, 0, 0, 0, 0, 2.0 / 5, 4.0 / 6, 6.0 / 7, 1], curve);
        Assert.Equal(4, ToleranceOfDifference.Count(Ascending, Ascending, 0));
        Assert.Equal(5, ToleranceOfDifference.Count(Ascending, Ascending, 0.4));
        Assert.Equal(8, ToleranceOfDifference.Count(Ascending, Ascending, 1));
    }

    [Fact]
    public void DisagreeingScoresKeepTheLayerWholeBelowFullTolerance()
    {
        // The least class-separating unit is the one reconstruction protects most: every prefix overlaps fully.
        double[] reversed = [.. Ascending.Reverse()];
        var curve = ToleranceOfDifference.Curve(Ascending, reversed);
        Assert.All(curve.Skip(1), v => Assert.Equal(1, v));
        Assert.Equal(0, ToleranceOfDifference.Count(Ascending, reversed, 0.99));
        Assert.Equal(8, ToleranceOfDifference.Count(Ascending, reversed, 1));
    }

    [Fact]
    public void MoreAgreementPrunesMoreAndTheCountGrowsWithTheTolerance()
    {
        double[] utilization = [0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
        double[] agreeing = [1, 9, 3, 7, 2, 8, 4, 6];   // same order as utilization
        double[] partly = [1, 9, 8, 7, 2, 3, 4, 6];     // units 2 and 5 swapped
        double[] against = [9, 1, 7, 3, 8, 2, 6, 4];    // reversed order
        for (double alpha = 0; alpha <= 1; alpha += 0.05)
        {
            int a = ToleranceOfDifference.Count(utilization, agreeing, alpha);
            int p = ToleranceOfDifference.Count(utilization, partly, alpha);
            int x = ToleranceOfDifference.Count(utilization, against, alpha);
            Assert.True(a >= p && p >= x, $"α {alpha}: {a}, {p}, {x}");
            Assert.True(ToleranceOfDifference.Count(utilization, partly, Math.Min(1, alpha + 0.1)) >= p);
        }
        Assert.Equal(4, ToleranceOfDifference.Count(utilization, agreeing, 0));
        Assert.Equal(2, ToleranceOfDifference.Count(utilization, partly, 0)); // unit 2, third lowest by utilization, ranks second by reconstruction
        Assert.Equal(0, ToleranceOfDifference.Count(utilization, against, 0));
    }

    [Fact]
    public void MismatchedOrNaNScoresThrow()
    {
        Assert.Throws<ArgumentException>(() => ToleranceOfDifference.Curve([1.0, 2.0], [1.0]));
        Assert.Throws<ArgumentException>(() => ToleranceOfDifference.Curve([1.0, double.NaN], [1.0, 2.0]));
    }
}
