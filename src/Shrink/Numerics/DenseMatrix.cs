namespace Shrink.Numerics;

/// <summary>
/// Dense float linear algebra on row-major arrays, for the data-aware weight updates (GPTQ, SparseGPT, least-squares
/// refits). Matrices are <c>float[]</c> with an explicit leading dimension so that sub-blocks can be addressed in place.
/// Large problems run packed, vectorized and on all cores (see <see cref="GemmDriver"/>).
/// </summary>
public static class DenseMatrix
{
    /// <summary>
    /// C = beta·C + alpha·op(A)·op(B), with op(A) of shape [m×k] and op(B) of shape [k×n]. <paramref name="transA"/> reads A
    /// stored as [k×m] (row-major, leading dimension <paramref name="lda"/>); <paramref name="transB"/> reads B stored as [n×k].
    /// With beta == 0 the old contents of C are ignored (even NaN); with alpha == 0 or k == 0, A and B are not read
    /// (C = beta·C, as in BLAS). C must not overlap A or B.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or a matrix reaches outside its array.</exception>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        // The blocked path works on raw pointers, so every addressed element is checked against its array up front.
        CheckBounds(a.Length, aOffset, lda, transA ? k : m, transA ? m : k, nameof(a));
        CheckBounds(b.Length, bOffset, ldb, transB ? n : k, transB ? k : n, nameof(b));
        CheckBounds(c.Length, cOffset, ldc, m, n, nameof(c));
        GemmDriver.Run(GemmKernel.Best, Environment.ProcessorCount, GemmStructure.General, transA, transB, m, n, k, alpha,
            a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    /// <summary>
    /// Cholesky factorization in place: the lower triangle of the symmetric positive definite [n×n] matrix
    /// <paramref name="a"/> becomes L with A = L·Lᵀ; the strict upper triangle is zeroed. Returns false (leaving
    /// <paramref name="a"/> partly overwritten) when A is not numerically positive definite. Only the lower triangle of
    /// A is read.
    /// </summary>
    public static bool TryCholesky(float[] a, int n)
    {
        CheckSquare(a, n);
        return BlockedCholesky.Factor(a, n);
    }

    /// <summary>
    /// Inverts the lower-triangular [n×n] matrix <paramref name="l"/> in place (its strict upper triangle is neither read
    /// nor written, so it stays zero).
    /// </summary>
    public static void InvertLowerTriangular(float[] l, int n)
    {
        CheckSquare(l, n);
        TriangularInverse.Invert(l, n);
    }

    private static void CheckSquare(float[] a, int n)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if ((long)n * n > a.Length) throw new ArgumentOutOfRangeException(nameof(n), $"A {n}×{n} matrix does not fit in {a.Length} elements.");
    }

    private static void CheckBounds(int length, int offset, int ld, int rows, int cols, string name)
    {
        if (rows == 0 || cols == 0) return;
        if (offset < 0 || ld < 0 || offset + (long)(rows - 1) * ld + cols > length)
        {
            throw new ArgumentOutOfRangeException(name,
                $"A {rows}×{cols} matrix at offset {offset} with leading dimension {ld} does not fit in {length} elements.");
        }
    }
}
