using System.Buffers;

namespace Shrink.Numerics;

/// <summary>
/// Blocked in-place inverse of a lower-triangular matrix, top to bottom by block rows: with the rows above already
/// inverted, block row i becomes [−Lii⁻¹·(Li,:i·(L:i,:i)⁻¹), Lii⁻¹]. The small inverse is done in double, the two
/// products by GEMM; the big one contracts over the rows of the inverse computed so far, so its packing is contiguous
/// copies, and it skips that inverse's zero upper part.
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
        float[] product = ArrayPool<float>.Shared.Rent(nb * (n - nb));
        try
        {
            for (int r0 = 0; r0 < n; r0 += nb)
            {
                int jb = Math.Min(nb, n - r0);
                var lii = block.AsSpan(0, jb * jb);
                TriangularKernels.LoadLower(l, r0 * n + r0, n, jb, lii);
                TriangularKernels.InvertLower(lii, jb, block.AsSpan(jb * jb, jb));
                TriangularKernels.StoreLower(lii, jb, inverse, 0, jb);
                if (r0 > 0)
                {
                    // Y = Li,:i·(L:i,:i)⁻¹, then the row block left of the diagonal = −Lii⁻¹·Y.
                    GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.LowerB, false, false, jb, r0, r0, 1f,
                        l, r0 * n, n, l, 0, n, 0f, product, 0, r0);
                    GemmDriver.Run(kernel, Environment.ProcessorCount, GemmStructure.General, false, false, jb, r0, jb, -1f,
                        inverse, 0, jb, product, 0, r0, 0f, l, r0 * n, n);
                }
                for (int i = 0; i < jb; i++) Array.Copy(inverse, i * jb, l, (r0 + i) * n + r0, i + 1);
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
