namespace Shrink.Numerics;

/// <summary>
/// Eigendecomposition of a small symmetric matrix in double by the cyclic Jacobi method: A = V diag(λ) Vᵀ with V
/// orthonormal. Converges quadratically; meant for matrices up to a few hundred rows (feature covariances), where its
/// accuracy (every eigenvalue to about machine precision relative to ‖A‖) matters more than speed.
/// </summary>
public static class SymmetricEigen
{
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric [<paramref name="n"/>×<paramref name="n"/>] row-major <paramref name="a"/> (not modified;
    /// only its upper triangle is read). Returns the eigenvalues (ascending) and the eigenvectors as the columns of a
    /// row-major [n×n] matrix, column k belonging to eigenvalue k.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="a"/> does not hold n×n values or holds a non-finite one.</exception>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (a.Length != n * n)
            throw new ArgumentException($"A {n}×{n} matrix needs {n * n} values, not {a.Length}.", nameof(a));
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                double v = a[i * n + j];
                if (!double.IsFinite(v)) throw new ArgumentException($"The matrix holds a non-finite value at ({i}, {j}).", nameof(a));
                m[i * n + j] = m[j * n + i] = v;
            }
        var vectors = new double[n * n];
        for (int i = 0; i < n; i++) vectors[i * n + i] = 1;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = 0, diagonal = 0;
            for (int i = 0; i < n; i++)
            {
                diagonal += m[i * n + i] * m[i * n + i];
                for (int j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
            }
            if (off <= 1e-30 * diagonal || off == 0) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                    Rotate(m, vectors, n, p, q);
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = m[i * n + i];
        var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
        var sortedValues = new double[n];
        var sortedVectors = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            sortedValues[k] = values[order[k]];
            for (int r = 0; r < n; r++) sortedVectors[r * n + k] = vectors[r * n + order[k]];
        }
        return (sortedValues, sortedVectors);
    }

    /// <summary>One Jacobi rotation zeroing m[p,q] (m symmetric, both triangles kept), accumulated into the eigenvectors.</summary>
    private static void Rotate(double[] m, double[] v, int n, int p, int q)
    {
        double apq = m[p * n + q];
        if (apq == 0) return;
        double app = m[p * n + p], aqq = m[q * n + q];
        double theta = (aqq - app) / (2 * apq);
        double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++)
        {
            double mkp = m[k * n + p], mkq = m[k * n + q];
            m[k * n + p] = c * mkp - s * mkq;
            m[k * n + q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; k++)
        {
            double mpk = m[p * n + k], mqk = m[q * n + k];
            m[p * n + k] = c * mpk - s * mqk;
            m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = m[q * n + p] = 0;
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }
}
