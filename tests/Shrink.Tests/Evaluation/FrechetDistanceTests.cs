using Shrink.Evaluation;

namespace Shrink.Tests.Evaluation;

public class FrechetDistanceTests
{
    [Fact]
    public void Equal_covariances_leave_the_squared_mean_distance()
    {
        double[] cov = [2, 0.5, 0.5, 1];
        Assert.Equal(3 * 3 + 4 * 4, FrechetDistance.Compute([0, 0], cov, [3, 4], cov), 10);
    }

    [Fact]
    public void Diagonal_covariances_match_the_closed_form()
    {
        // tr (Σ₁^½ Σ₂ Σ₁^½)^½ = Σ √(a_i b_i) for diagonal Σ₁ = diag(a), Σ₂ = diag(b).
        double[] a = [1, 4, 9], b = [4, 1, 16];
        var c1 = new double[9];
        var c2 = new double[9];
        for (int i = 0; i < 3; i++) { c1[i * 4] = a[i]; c2[i * 4] = b[i]; }
        double expected = 1 + (a.Sum() + b.Sum() - 2 * (2 + 2 + 12));
        Assert.Equal(expected, FrechetDistance.Compute([1, 0, 0], c1, [0, 0, 0], c2), 10);
    }

    [Fact]
    public void Two_by_two_covariances_that_do_not_commute_match_the_closed_form()
    {
        // For 2×2 PSD M: tr √M = √(tr M + 2√det M); with M = Σ₁^½ Σ₂ Σ₁^½, tr M = tr Σ₁Σ₂ and det M = det Σ₁ det Σ₂.
        double[] c1 = [2, 1, 1, 3], c2 = [1, -0.5, -0.5, 2];
        double trProduct = c1[0] * c2[0] + c1[1] * c2[2] + c1[2] * c2[1] + c1[3] * c2[3];
        double det1 = c1[0] * c1[3] - c1[1] * c1[2], det2 = c2[0] * c2[3] - c2[1] * c2[2];
        double traceSqrt = Math.Sqrt(trProduct + 2 * Math.Sqrt(det1 * det2));
        Assert.Equal(traceSqrt, FrechetDistance.TraceSqrtProduct(c1, c2, 2), 12);
        Assert.Equal(5 + 3 - 2 * traceSqrt, FrechetDistance.Compute([0, 0], c1, [0, 0], c2), 12);
    }

    [Fact]
    public void Distance_between_feature_sets_is_zero_for_the_same_set_and_grows_with_a_shift()
    {
        var rng = new Random(1);
        var features = new float[500 * 4];
        for (int i = 0; i < features.Length; i++) features[i] = (float)(rng.NextDouble() * 2 + i % 4);
        var a = new FeatureMoments(4);
        var b = new FeatureMoments(4);
        a.Add(features);
        b.Add(features);
        Assert.Equal(0, FrechetDistance.Compute(a, b), 8);
        var shifted = features.Select(v => v + 1f).ToArray();
        var c = new FeatureMoments(4);
        c.Add(shifted);
        Assert.Equal(4, FrechetDistance.Compute(a, c), 4); // ‖(1,1,1,1)‖², the covariance unchanged
    }
}
