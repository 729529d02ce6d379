using System.Buffers;

namespace Shrink.Numerics;

/// <summary>
/// Blocked in-place inverse of a lower-triangular matrix, right to left by block columns: with L = [[L11, 0], [L21, L22]]
/// and L22⁻¹ already in place, the block column becomes [L11⁻¹; −L22⁻¹·(L21·L11⁻¹)]. The small inverses are done in
/// double, the two products by GEMM (the second one skipping the zero upper part of L22⁻¹).
/// </summary>
internal static class TriangularInverse
{
    internal const int BlockSize = 128;

    /// <summary>See <see cref="DenseMatrix.InvertLowerTriangular"/>.</summary>
    public static void Invert(float[] l, int n, int blockSize = BlockSize)
    {
        if (n == 0) return;
        var kernel = GemmKernel.Best;
        int nb = Math.Min(blockSize, n);
        double[] block = ArrayPool<double>.Shared.Rent(nb * nb + nb);
        float[] inverse = ArrayPool<float>.Shared.Rent(nb * nb);
        float[] product = ArrayPool<float>.Shared.Rent(Math.Max(0, n - nb) * nb);
        try
        {
            for (int c0 = (n - 1) / nb * nb; c0 >= 0; c0 -= nb)
            {
                int jb = Math.Min(nb, n - c0);
                var l11 = block.AsSpan(0, jb * jb);
                TriangularKernels.LoadLower(l, c0 * n + c0, n, jb, l11);
                TriangularKernels.InvertLower(l11, jb, block.AsSpan(jb * jb, jb));
                TriangularKernels.StoreLower(l11, jb, inverse, 0, jb);

                int r = c0 + jb, rows = n - r;
                if (rows > 0)
                {
                    // T = L21·L11⁻¹, then the block column below the diagonal = −L22⁻¹·T.
                    GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.General, false, false, rows, jb, jb, 1f,
                        l, r * n + c0, n, inverse, 0, jb, 0f, product, 0, jb);
                    GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.LowerA, false, false, rows, jb, rows, -1f,
                        l, r * n + r, n, product, 0, jb, 0f, l, r * n + c0, n);
                }
                for (int i = 0; i < jb; i++)
                    for (int j = 0; j <= i; j++) l[(c0 + i) * n + c0 + j] = inverse[i * jb + j];
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(block);
            ArrayPool<float>.Shared.Return(inverse);
            ArrayPool<float>.Shared.Return(product);
        }
    }
}
