using System.Buffers;

namespace Shrink.Numerics;

/// <summary>
/// Right-looking blocked Cholesky: per block column, factor the diagonal block in double, solve the panel below it by
/// multiplying with the (double-computed) inverse of that block, then apply the rank-nb update to the lower part of the
/// trailing matrix with one packed GEMM. Nearly all the work lands in the GEMM.
/// </summary>
internal static class BlockedCholesky
{
    internal const int BlockSize = 128;

    /// <summary>See <see cref="DenseMatrix.TryCholesky"/>.</summary>
    public static bool Factor(float[] a, int n, int blockSize = BlockSize)
    {
        var kernel = GemmKernel.Best;
        int nb = Math.Min(blockSize, n);
        double[] block = ArrayPool<double>.Shared.Rent(nb * nb + nb);
        float[] inverse = ArrayPool<float>.Shared.Rent(nb * nb);
        float[] panel = ArrayPool<float>.Shared.Rent(Math.Max(0, n - nb) * nb);
        try
        {
            for (int j0 = 0; j0 < n; j0 += nb)
            {
                int jb = Math.Min(nb, n - j0);
                var l11 = block.AsSpan(0, jb * jb);
                TriangularKernels.LoadLower(a, j0 * n + j0, n, jb, l11);
                if (!TriangularKernels.Cholesky(l11, jb)) return false;
                TriangularKernels.StoreLower(l11, jb, a, j0 * n + j0, n);

                int r0 = j0 + jb, rows = n - r0;
                if (rows == 0) break;

                // L21 = A21·L11⁻ᵀ: the inverse of the small block turns the triangular solve into a GEMM.
                TriangularKernels.InvertLower(l11, jb, block.AsSpan(jb * jb, jb));
                TriangularKernels.StoreLower(l11, jb, inverse, 0, jb);
                for (int i = 0; i < rows; i++) Array.Copy(a, (r0 + i) * n + j0, panel, i * jb, jb);
                GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.General, false, true, rows, jb, jb, 1f,
                    panel, 0, jb, inverse, 0, jb, 0f, a, r0 * n + j0, n);

                // A22 -= L21·L21ᵀ, lower triangle only (L21 now sits in A; the copy in panel is stale).
                GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.LowerC, false, true, rows, rows, jb, -1f,
                    a, r0 * n + j0, n, a, r0 * n + j0, n, 1f, a, r0 * n + r0, n);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(block);
            ArrayPool<float>.Shared.Return(inverse);
            ArrayPool<float>.Shared.Return(panel);
        }

        for (int i = 0; i < n; i++) Array.Clear(a, i * n + i + 1, n - i - 1);
        return true;
    }
}
