using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Shrink.Numerics;

/// <summary>
/// Unblocked double-precision kernels for the small diagonal blocks of the blocked factorizations. Rows are contiguous in
/// row-major storage, so every inner product is a vectorized dot over row prefixes.
/// </summary>
internal static class TriangularKernels
{
    /// <summary>
    /// Lower Cholesky of the [n×n] block in place (only the lower triangle is read or written). Returns false on a pivot
    /// that is not positive and finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Cholesky(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, j);
            double d = a[j * n + j] - TensorPrimitives.Dot<double>(rowJ, rowJ);
            if (!(d > 0) || double.IsInfinity(d)) return false;
            double ljj = Math.Sqrt(d);
            a[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
                a[i * n + j] = (a[i * n + j] - TensorPrimitives.Dot<double>(a.Slice(i * n, j), rowJ)) / ljj;
        }
        return true;
    }

    /// <summary>Inverts the lower-triangular [n×n] block in place; the strict upper triangle is neither read nor written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InvertLower(Span<double> l, int n, Span<double> scratch)
    {
        // Column j of L⁻¹ solves L·x = e_j and reads only columns ≥ j of L, which are still intact.
        var x = scratch[..n];
        for (int j = 0; j < n; j++)
        {
            x[j] = 1.0 / l[j * n + j];
            for (int i = j + 1; i < n; i++)
                x[i] = -TensorPrimitives.Dot<double>(l.Slice(i * n + j, i - j), x[j..i]) / l[i * n + i];
            for (int i = j; i < n; i++) l[i * n + j] = x[i];
        }
    }

    /// <summary>Copies the lower triangle of the [n×n] float block at <paramref name="offset"/> (leading dimension ld) to doubles.</summary>
    public static void LoadLower(float[] src, int offset, int ld, int n, Span<double> dst)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) dst[i * n + j] = src[offset + i * ld + j];
    }

    /// <summary>Writes the lower triangle of <paramref name="src"/> back as floats and zeroes the strict upper triangle.</summary>
    public static void StoreLower(ReadOnlySpan<double> src, int n, float[] dst, int offset, int ld)
    {
        for (int i = 0; i < n; i++)
        {
            int row = offset + i * ld;
            for (int j = 0; j <= i; j++) dst[row + j] = (float)src[i * n + j];
            Array.Clear(dst, row + i + 1, n - i - 1);
        }
    }
}
