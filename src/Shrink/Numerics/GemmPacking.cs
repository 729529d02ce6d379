using System.Runtime.CompilerServices;
namespace Shrink.Numerics;

/// <summary>
/// Packs blocks of op(A) and op(B) into the sliver layout the micro-kernels stream: transposes, offsets and leading
/// dimensions are resolved here once, and ragged edges are zero-padded so every tile runs the same kernel.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs op(A)[row0..row0+mc, col0..col0+kc] as ⌈mc/mr⌉ slivers of kc×mr floats (row index fastest). With
    /// <paramref name="trans"/> A is stored [k×m], so op(A)[i, p] = a[p·lda + i]. With <paramref name="lower"/> entries
    /// above the diagonal (p &gt; i) are packed as zeros whatever the array holds there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int lda, bool trans, bool lower, int row0, int col0, int mc, int kc, int mr, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            if (trans)
            {
                // Each step of the sliver is a contiguous run of a stored row.
                float* src = a + (long)col0 * lda + row0 + i0;
                for (int p = 0; p < kc; p++, src += lda, dst += mr)
                {
                    // With lower, rows above the diagonal of this column (i < p) read as zero.
                    int r = lower ? Math.Clamp(col0 + p - row0 - i0, 0, rows) : 0;
                    for (int z = 0; z < r; z++) dst[z] = 0;
                    if (rows == mr && r == 0)
                    {
                        new ReadOnlySpan<float>(src, mr).CopyTo(new Span<float>(dst, mr));
                        continue;
                    }
                    for (; r < rows; r++) dst[r] = src[r];
                    for (; r < mr; r++) dst[r] = 0;
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(row0 + i0 + r) * lda + col0;
                    float* d = dst + r;
                    int count = lower ? Math.Clamp(row0 + i0 + r - col0 + 1, 0, kc) : kc;
                    int p = 0;
                    for (; p < count; p++, d += mr) *d = src[p];
                    for (; p < kc; p++, d += mr) *d = 0;
                }
                for (int r = rows; r < mr; r++)
                {
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++, d += mr) *d = 0;
                }
                dst += (long)kc * mr;
            }
        }
    }

    /// <summary>
    /// Packs sliver <paramref name="sliver"/> (columns sliver·nr onward) of op(B)[row0..row0+kc, col0..col0+nc] as kc×nr
    /// floats (column index fastest) at <paramref name="dst"/>. With <paramref name="trans"/> B is stored [n×k], so
    /// op(B)[p, j] = b[j·ldb + p]. With <paramref name="lower"/> op(B) is taken as lower triangular: the zero rows above the
    /// sliver's first column are not packed at all (<see cref="GemmDriver"/> starts that sliver's k loop below them) and
    /// the remaining entries above the diagonal are packed as zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int ldb, bool trans, bool lower, int row0, int col0, int kc, int nc, int nr, int sliver, float* dst)
    {
        int j0 = sliver * nr;
        int cols = Math.Min(nr, nc - j0);
        int pStart = lower ? SkippedRows(row0, col0 + j0, kc) : 0;
        if (trans)
        {
            for (int jj = 0; jj < cols; jj++)
            {
                float* src = b + (long)(col0 + j0 + jj) * ldb + row0;
                float* d = dst + (long)pStart * nr + jj;
                int p = pStart;
                for (int pValid = lower ? Math.Max(pStart, SkippedRows(row0, col0 + j0 + jj, kc)) : 0; p < pValid; p++, d += nr) *d = 0;
                for (; p < kc; p++, d += nr) *d = src[p];
            }
            for (int jj = cols; jj < nr; jj++)
            {
                float* d = dst + (long)pStart * nr + jj;
                for (int p = pStart; p < kc; p++, d += nr) *d = 0;
            }
        }
        else
        {
            float* src = b + (long)(row0 + pStart) * ldb + col0 + j0;
            float* d = dst + (long)pStart * nr;
            for (int p = pStart; p < kc; p++, src += ldb, d += nr)
            {
                // Columns right of the diagonal (j > p) read as zero.
                int valid = lower ? Math.Clamp(row0 + p - col0 - j0 + 1, 0, cols) : cols;
                if (valid == nr)
                {
                    new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(d, nr));
                }
                else
                {
                    int jj = 0;
                    for (; jj < valid; jj++) d[jj] = src[jj];
                    for (; jj < nr; jj++) d[jj] = 0;
                }
            }
        }
    }

    /// <summary>Rows of a lower-triangular op(B) slice starting at row <paramref name="row0"/> that are zero in column <paramref name="col"/>.</summary>
    public static int SkippedRows(int row0, int col, int kc) => Math.Clamp(col - row0, 0, kc);
}
