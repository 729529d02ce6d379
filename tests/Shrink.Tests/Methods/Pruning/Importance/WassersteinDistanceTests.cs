using Shrink.Methods.Pruning.Importance;

namespace Shrink.Tests.Methods.Pruning.Importance;

public class WassersteinDistanceTests
{
    [Fact]
    public void PointMassesAreTheirDistanceApart()
    {
        Assert.Equal(3, WassersteinDistance.Between([0.0], [3.0]), 12);
        Assert.Equal(3, WassersteinDistance.Between([3.0], [0.0]), 12);
    }

    [Fact]
    public void ShiftingASetMovesItByTheShiftAndOrderDoesNotMatter()
    {
        double[] a = [0.5, -1, 2, 0.25, 7];
        Assert.Equal(1.5, WassersteinDistance.Between(a, a.Select(v => v + 1.5).Reverse().ToArray()), 12);
        Assert.Equal(0, WassersteinDistance.Between(a, a.Reverse().ToArray()), 12);
    }

    [Fact]
    public void SetsOfDifferentSizesCompareByTheirCdfs()
    {
        // F({0, 1}) is 1/2 on [0, 1), G({0}) is 1 there: ∫|F − G| = 1/2.
        Assert.Equal(0.5, WassersteinDistance.Between([0.0, 1.0], [0.0]), 12);
        // {0, 0, 3} vs {1, 2}: |2/3 − 0| on [0,1), |2/3 − 1/2| on [1,2), |2/3 − 1| on [2,3) → 2/3 + 1/6 + 1/3 = 7/6.
        Assert.Equal(7.0 / 6, WassersteinDistance.Between([0.0, 0.0, 3.0], [1.0, 2.0]), 12);
        // Symmetric.
        Assert.Equal(WassersteinDistance.Between([1.0, 2.0], [0.0, 0.0, 3.0]), WassersteinDistance.Between([0.0, 0.0, 3.0], [1.0, 2.0]), 12);
    }

    [Fact]
    public void EmptyOrNaNSetsThrow()
    {
        Assert.Throws<ArgumentException>(() => WassersteinDistance.Between([], [1.0]));
        Assert.Throws<ArgumentException>(() => WassersteinDistance.Between([double.NaN], [1.0]));
    }
}
