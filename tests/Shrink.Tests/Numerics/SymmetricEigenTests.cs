using Shrink.Numerics;

namespace Shrink.Tests.Numerics;

public class SymmetricEigenTests
{
    [Fact]
    public void Decomposition_rebuilds_a_random_symmetric_matrix_with_orthonormal_vectors()
    {
        const int n = 7;
        var rng = new Random(5);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                a[i * n + j] = a[j * n + i] = rng.NextDouble() * 2 - 1;
        var (values, v) = SymmetricEigen.Decompose(a, n);
        for (int k = 1; k < n; k++) Assert.True(values[k] >= values[k - 1]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double rebuilt = 0, dot = 0;
                for (int k = 0; k < n; k++)
                {
                    rebuilt += v[i * n + k] * values[k] * v[j * n + k];
                    dot += v[k * n + i] * v[k * n + j];
                }
                Assert.Equal(a[i * n + j], rebuilt, 12);
                Assert.Equal(i == j ? 1 : 0, dot, 12);
            }
    }

    [Fact]
    public void Known_eigenvalues_of_a_two_by_two_matrix()
    {
        var (values, _) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1, values[0], 14);
        Assert.Equal(3, values[1], 14);
    }

    [Fact]
    public void Non_finite_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose([1, double.NaN, double.NaN, 1], 2));
    }
}
