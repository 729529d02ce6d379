namespace Shrink.Numerics;

/// <summary>Ridge least squares through the normal equations: W = (G + λI)⁻¹·H with G = XᵀX and H = XᵀY, solved by Cholesky.</summary>
public static class RidgeSolver
{
    /// <summary>
    /// Solves (G + λI)·W = H for W ([n×m], row-major) where <paramref name="gram"/> is [n×n] and <paramref name="rhs"/> is [n×m].
    /// λ = <paramref name="relativeLambda"/> · mean(diag G); when G + λI is not numerically positive definite λ grows tenfold
    /// (up to five times). Returns null when it never is. <paramref name="gram"/> and <paramref name="rhs"/> are not modified.
    /// </summary>
    public static float[]? Solve(float[] gram, float[] rhs, int n, int m, double relativeLambda)
    {
        ArgumentNullException.ThrowIfNull(gram);
        ArgumentNullException.ThrowIfNull(rhs);
        double meanDiagonal = 0;
        for (int i = 0; i < n; i++) meanDiagonal += gram[i * n + i];
        meanDiagonal = Math.Max(meanDiagonal / Math.Max(1, n), 1e-12);
        double lambda = Math.Max(relativeLambda, 1e-7) * meanDiagonal;
        var factor = new float[n * n];
        for (int attempt = 0; attempt < 6; attempt++, lambda *= 10)
        {
            Array.Copy(gram, factor, factor.Length);
            for (int i = 0; i < n; i++) factor[i * n + i] += (float)lambda;
            if (!DenseMatrix.TryCholesky(factor, n)) continue;
            return SolveFactored(factor, rhs, n, m);
        }
        return null;
    }

    /// <summary>Solves L·Lᵀ·W = H column by column (forward then back substitution, in double).</summary>
    private static float[] SolveFactored(float[] l, float[] rhs, int n, int m)
    {
        var result = new float[n * m];
        var z = new double[n];
        for (int j = 0; j < m; j++)
        {
            for (int i = 0; i < n; i++)
            {
                double s = rhs[i * m + j];
                int row = i * n;
                for (int p = 0; p < i; p++) s -= l[row + p] * z[p];
                z[i] = s / l[row + i];
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = z[i];
                for (int p = i + 1; p < n; p++) s -= l[p * n + i] * z[p];
                z[i] = s / l[i * n + i];
            }
            for (int i = 0; i < n; i++) result[i * m + j] = (float)z[i];
        }
        return result;
    }
}
