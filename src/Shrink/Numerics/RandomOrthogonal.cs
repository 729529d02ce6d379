namespace Shrink.Numerics;

/// <summary>
/// A random orthogonal matrix: the Q factor of a seeded Gaussian matrix (modified Gram–Schmidt in double, signs fixed so
/// the distribution is uniform over the orthogonal group). The fallback rotation where no Hadamard matrix exists.
/// </summary>
public static class RandomOrthogonal
{
    /// <summary>An orthogonal [<paramref name="n"/>×<paramref name="n"/>] row-major matrix drawn from <paramref name="random"/>.</summary>
    public static double[] Create(int n, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentNullException.ThrowIfNull(random);
        // Columns are orthonormalized one by one; stored column-major while building, transposed at the end.
        var columns = new double[n * n];
        for (int i = 0; i < columns.Length; i++) columns[i] = Gaussian(random);
        for (int c = 0; c < n; c++)
        {
            var v = columns.AsSpan(c * n, n);
            for (int pass = 0; pass < 2; pass++) // twice is enough (Kahan)
                for (int p = 0; p < c; p++)
                {
                    var u = columns.AsSpan(p * n, n);
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += u[i] * v[i];
                    for (int i = 0; i < n; i++) v[i] -= dot * u[i];
                }
            double norm = 0;
            for (int i = 0; i < n; i++) norm += v[i] * v[i];
            norm = Math.Sqrt(norm);
            if (norm < 1e-12) throw new InvalidOperationException("A Gaussian matrix came out singular.");
            for (int i = 0; i < n; i++) v[i] /= norm;
        }
        var q = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) q[r * n + c] = columns[c * n + r];
        return q;
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
