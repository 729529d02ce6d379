using Shrink.Evaluation;

namespace Shrink.Tests.Evaluation;

public class FeatureMomentsTests
{
    [Fact]
    public void Mean_and_unbiased_covariance_match_a_direct_computation_in_any_batching()
    {
        // Features far from zero: the shifted sums must keep the covariance's digits.
        float[] rows = [1000.5f, 2, 1001.5f, 4, 999.5f, 3, 1002.5f, 7];
        var moments = new FeatureMoments(2);
        moments.Add(rows.AsSpan(0, 2));
        moments.Add(rows.AsSpan(2, 6));
        Assert.Equal(4, moments.Count);
        var mean = moments.Mean();
        Assert.Equal(1001.0, mean[0], 10);
        Assert.Equal(4.0, mean[1], 10);
        var cov = moments.Covariance();
        // x: −0.5, 0.5, −1.5, 1.5 → Σx² = 5; y: −2, 0, −1, 3 → Σy² = 14; Σxy = 1 + 0 + 1.5 + 4.5 = 7; divided by n − 1 = 3.
        Assert.Equal(5 / 3.0, cov[0], 10);
        Assert.Equal(14 / 3.0, cov[3], 10);
        Assert.Equal(7 / 3.0, cov[1], 10);
        Assert.Equal(cov[1], cov[2]);
    }

    [Fact]
    public void Partial_vectors_and_too_few_vectors_are_refused()
    {
        var moments = new FeatureMoments(3);
        Assert.Throws<ArgumentException>(() => moments.Add(new float[4]));
        moments.Add(new float[3]);
        Assert.Throws<InvalidOperationException>(() => moments.Covariance());
    }
}
