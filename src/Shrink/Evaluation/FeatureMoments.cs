namespace Shrink.Evaluation;

/// <summary>
/// The mean and covariance of feature vectors, accumulated batch by batch in double (memory: d² values, whatever the
/// number of vectors). Sums are taken about the first vector seen, so the covariance of features far from zero keeps its
/// digits; the covariance is the unbiased one (divided by n − 1), as <c>numpy.cov</c>.
/// </summary>
public sealed class FeatureMoments
{
    private readonly double[] _shift;
    private readonly double[] _sum;
    private readonly double[] _products;
    private bool _shifted;

    /// <summary>Moments of <paramref name="dimension"/>-dimensional features.</summary>
    public FeatureMoments(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _shift = new double[dimension];
        _sum = new double[dimension];
        _products = new double[(long)dimension * dimension];
    }

    /// <summary>The feature dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Vectors added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="features"/>.Length / d vectors, row-major [n, d].</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of d.</exception>
    public void Add(ReadOnlySpan<float> features)
    {
        int d = Dimension;
        if (features.Length % d != 0)
            throw new ArgumentException($"{features.Length} values are not whole {d}-dimensional vectors.", nameof(features));
        var centered = new double[d];
        for (int r = 0; r < features.Length / d; r++)
        {
            var row = features.Slice(r * d, d);
            if (!_shifted)
            {
                for (int i = 0; i < d; i++) _shift[i] = row[i];
                _shifted = true;
            }
            for (int i = 0; i < d; i++)
            {
                centered[i] = row[i] - _shift[i];
                _sum[i] += centered[i];
            }
            for (int i = 0; i < d; i++)
            {
                double ci = centered[i];
                if (ci == 0) continue;
                var products = _products.AsSpan(i * d, d);
                for (int j = i; j < d; j++) products[j] += ci * centered[j];
            }
            Count++;
        }
    }

    /// <summary>The mean vector.</summary>
    /// <exception cref="InvalidOperationException">No vector was added.</exception>
    public double[] Mean()
    {
        if (Count == 0) throw new InvalidOperationException("No features were added.");
        var mean = new double[Dimension];
        for (int i = 0; i < Dimension; i++) mean[i] = _shift[i] + _sum[i] / Count;
        return mean;
    }

    /// <summary>The covariance, row-major [d, d], divided by n − 1.</summary>
    /// <exception cref="InvalidOperationException">Fewer than two vectors were added.</exception>
    public double[] Covariance()
    {
        if (Count < 2) throw new InvalidOperationException($"A covariance needs at least 2 feature vectors, not {Count}.");
        int d = Dimension;
        var cov = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
                cov[i * d + j] = cov[j * d + i] = (_products[i * d + j] - _sum[i] * _sum[j] / Count) / (Count - 1);
        return cov;
    }
}
