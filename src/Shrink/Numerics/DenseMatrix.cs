namespace Shrink.Numerics;

/// <summary>
/// Dense float linear algebra on row-major arrays, for the data-aware weight updates (GPTQ, SparseGPT, least-squares
/// refits). Matrices are <c>float[]</c> with an explicit leading dimension so that sub-blocks can be addressed in place.
/// </summary>
public static class DenseMatrix
{
    /// <summary>
    /// C = beta·C + alpha·op(A)·op(B), with op(A) of shape [m×k] and op(B) of shape [k×n]. <paramref name="transA"/> reads A
    /// stored as [k×m] (row-major, leading dimension <paramref name="lda"/>); <paramref name="transB"/> reads B stored as [n×k].
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    float bv = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    sum += av * bv;
                }
                ref float cv = ref c[cOffset + i * ldc + j];
                cv = (beta == 0 ? 0 : beta * cv) + alpha * (float)sum;
            }
        }
    }

    /// <summary>
    /// Cholesky factorization in place: the lower triangle of the symmetric positive definite [n×n] matrix
    /// <paramref name="a"/> becomes L with A = L·Lᵀ; the strict upper triangle is zeroed. Returns false (leaving
    /// <paramref name="a"/> partly overwritten) when A is not numerically positive definite.
    /// </summary>
    public static bool TryCholesky(float[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int p = 0; p < j; p++) d -= (double)a[j * n + p] * a[j * n + p];
            if (!(d > 0) || double.IsInfinity(d)) return false;
            float ljj = (float)Math.Sqrt(d);
            a[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int p = 0; p < j; p++) s -= (double)a[i * n + p] * a[j * n + p];
                a[i * n + j] = (float)(s / ljj);
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) a[i * n + j] = 0;
        return true;
    }

    /// <summary>Inverts the lower-triangular [n×n] matrix <paramref name="l"/> in place (its strict upper triangle stays zero).</summary>
    public static void InvertLowerTriangular(float[] l, int n)
    {
        // Column by column, left to right: column j of L⁻¹ solves L·x = e_j and reads only columns ≥ j of L, still intact.
        var x = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(x);
            x[j] = 1.0 / l[j * n + j];
            for (int i = j + 1; i < n; i++)
            {
                double s = 0;
                for (int p = j; p < i; p++) s += l[i * n + p] * x[p];
                x[i] = -s / l[i * n + i];
            }
            for (int i = j; i < n; i++) l[i * n + j] = (float)x[i];
        }
    }
}
