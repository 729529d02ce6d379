using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shrink.Numerics;

/// <summary>
/// Blocked, packed, optionally parallel GEMM (Goto/BLIS loop nest) over row-major arrays. Two schedules:
/// <list type="bullet">
/// <item>Tall (m &gt; Mc): per Nc-wide column panel and Kc-deep slice, op(B) is packed once and shared, and independent
/// row blocks of C go to the workers, each packing its own block of op(A).</item>
/// <item>Wide (m ≤ Mc, all of op(A)'s rows fit one block): workers take column ranges of C, pack all of op(A) themselves
/// and pack each Nr-wide sliver of op(B) right before using it, while it is hot in L1.</item>
/// </list>
/// </summary>
internal static unsafe class GemmDriver
{
    // Below this many multiply-adds the blocked path's packing and dispatch cost more than they save.
    private const long DirectLimit = 4096;

    // Below this many multiply-adds a problem stays on the calling thread (a Parallel.For costs some microseconds).
    private const long ParallelLimit = 1 << 21;

    // Packing space of the current thread (a block of op(A), then one sliver of op(B)). Pinned (the pinned heap never
    // moves it), so it can be used through raw pointers without fixing it.
    [ThreadStatic]
    private static float[]? t_pack;

    /// <summary>
    /// C = beta·C + alpha·op(A)·op(B); arguments as in <see cref="DenseMatrix.Gemm"/>, already validated, and C must not
    /// overlap A or B. At most <paramref name="maxThreads"/> threads work on it; <paramref name="structure"/> says which
    /// zero or unneeded parts may be skipped.
    /// </summary>
    public static void Run(GemmKernel kernel, int maxThreads, GemmStructure structure, bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            Scale(m, n, beta, c, cOffset, ldc);
            return;
        }
        if ((long)m * n * k <= DirectLimit && structure == GemmStructure.General)
        {
            Direct(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
            return;
        }

        int threads = (long)m * n * k >= ParallelLimit ? Math.Max(1, Math.Min(maxThreads, Environment.ProcessorCount)) : 1;

        // Aᵀ·A or A·Aᵀ (one operand read twice) is symmetric: with beta == 0 only the lower triangle needs computing, the
        // upper one is its mirror image (the same products summed in the same order, so nothing changes but the time).
        bool gram = structure == GemmStructure.General && beta == 0 && m == n && transA != transB && m > kernel.Mc
            && ReferenceEquals(a, b) && aOffset == bOffset && lda == ldb;
        if (gram) structure = GemmStructure.LowerC;

        fixed (float* pa = a, pb = b, pc = c)
        {
            var op = new Operands(kernel, structure, transA, transB, pa + aOffset, lda, pb + bOffset, ldb, pc + cOffset, ldc,
                alpha, m, n, k);
            if (m <= kernel.Mc) RunWide(op, beta, threads);
            else RunTall(op, beta, threads);
        }
        if (gram) MirrorLower(c, cOffset, ldc, m, threads);
    }

    /// <summary>Copies the strict lower triangle of the [n×n] block onto the upper one, in square tiles for locality.</summary>
    private static void MirrorLower(float[] c, int offset, int ld, int n, int threads)
    {
        const int Tile = 64;
        int tiles = Ceil(n, Tile);
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = threads }, ti =>
        {
            // Tile row ti of the upper triangle: rows i0.., columns from the diagonal on.
            int i0 = ti * Tile, i1 = Math.Min(n, i0 + Tile);
            for (int j0 = i0; j0 < n; j0 += Tile)
            {
                int j1 = Math.Min(n, j0 + Tile);
                for (int i = i0; i < i1; i++)
                {
                    int row = offset + i * ld;
                    for (int j = Math.Max(j0, i + 1); j < j1; j++) c[row + j] = c[offset + j * ld + i];
                }
            }
        });
    }

    private static void RunWide(Operands op, float beta, int threads)
    {
        var kernel = op.Kernel;
        int slivers = Ceil(op.N, kernel.Nr);
        // A few chunks per thread, so that uneven chunks (triangular structures) still balance.
        int chunks = threads == 1 ? 1 : Math.Min(slivers, 4 * threads);
        if (chunks == 1)
        {
            WideChunk(op, beta, 0, slivers);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => WideChunk(op, beta, slivers * t / chunks, slivers * (t + 1) / chunks));
    }

    private static void WideChunk(Operands op, float beta, int s0, int s1)
    {
        for (int p0 = 0; p0 < op.K; p0 += op.Kernel.Kc)
        {
            op.Compute(p0, Math.Min(op.Kernel.Kc, op.K - p0), p0 == 0 ? beta : 1f, 0, op.N, null, 0, op.M, op.M, s0, s1);
        }
    }

    private static void RunTall(Operands op, float beta, int threads)
    {
        var kernel = op.Kernel;
        int nr = kernel.Nr;
        // Row blocks of at most Mc rows, evenly sized, as many as a multiple of the threads (dynamic scheduling alone
        // would leave one thread idle for the last block of, say, three).
        int rowBlocks = RoundUp(Ceil(op.M, kernel.Mc), threads);
        int mc = RoundUp(Ceil(op.M, rowBlocks), kernel.Mr);
        rowBlocks = Ceil(op.M, mc);
        int ncMax = Math.Min(kernel.Nc, RoundUp(op.N, nr));
        int kcMax = Math.Min(kernel.Kc, op.K);

        // 16 floats of slack to align the shared packed panel on 64 bytes.
        float[] packArray = ArrayPool<float>.Shared.Rent(kcMax * ncMax + 16);
        try
        {
            fixed (float* packRaw = packArray)
            {
                float* packB = Align(packRaw);
                nint packAddr = (nint)packB;
                var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
                for (int jc = 0; jc < op.N; jc += kernel.Nc)
                {
                    int ncur = Math.Min(kernel.Nc, op.N - jc);
                    int slivers = Ceil(ncur, nr);
                    for (int p0 = 0; p0 < op.K; p0 += kernel.Kc)
                    {
                        int kcur = Math.Min(kernel.Kc, op.K - p0);
                        float betaNow = p0 == 0 ? beta : 1f;
                        if (threads == 1)
                        {
                            op.PackB(p0, kcur, jc, ncur, 0, slivers, packB);
                            op.Compute(p0, kcur, betaNow, jc, ncur, packB, 0, op.M, mc, 0, slivers);
                            continue;
                        }

                        int parts = Math.Min(threads, slivers);
                        Parallel.For(0, parts, options,
                            t => op.PackB(p0, kcur, jc, ncur, slivers * t / parts, slivers * (t + 1) / parts, (float*)packAddr));
                        Parallel.For(0, rowBlocks, options,
                            rb => op.Compute(p0, kcur, betaNow, jc, ncur, (float*)packAddr, rb * mc, Math.Min(op.M, (rb + 1) * mc), mc, 0, slivers));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packArray);
        }
    }

    /// <summary>The operands of one product (pointers already at their offsets): the state the workers share.</summary>
    private readonly struct Operands(GemmKernel kernel, GemmStructure structure, bool transA, bool transB,
        float* a, int lda, float* b, int ldb, float* c, int ldc, float alpha, int m, int n, int k)
    {
        public GemmKernel Kernel => kernel;

        public int M => m;

        public int N => n;

        public int K => k;

        /// <summary>Packs slivers [s0, s1) of op(B)[p0..p0+kcur, jc..jc+ncur] into the shared panel.</summary>
        public void PackB(int p0, int kcur, int jc, int ncur, int s0, int s1, float* panel)
        {
            for (int s = s0; s < s1; s++)
                GemmPacking.PackB(b, ldb, transB, structure == GemmStructure.LowerB, p0, jc, kcur, ncur, kernel.Nr, s,
                    panel + (long)s * kcur * kernel.Nr);
        }

        /// <summary>
        /// Rows [i0, i1) of C, in blocks of <paramref name="mc"/>, against slivers [s0, s1) of the column panel at
        /// <paramref name="jc"/>, for the k slice [p0, p0+kcur). <paramref name="panel"/> is the shared packed panel of
        /// op(B), or null to pack each sliver here.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Compute(int p0, int kcur, float beta, int jc, int ncur, float* panel, int i0, int i1, int mc, int s0, int s1)
        {
            int mr = kernel.Mr, nr = kernel.Nr;
            var compute = kernel.Compute;
            float* packA = PackBuffer(RoundUp(mc, mr) * kernel.Kc + kernel.Kc * nr);
            float* sliver = packA + RoundUp(mc, mr) * kernel.Kc;
            float* tile = stackalloc float[mr * nr];
            for (int ic = i0; ic < i1; ic += mc)
            {
                int mcur = Math.Min(mc, i1 - ic);
                int kc = kcur, sEnd = s1;
                if (structure == GemmStructure.LowerA)
                {
                    // Rows ic..ic+mcur of a lower-triangular op(A) are zero from column ic+mcur on.
                    kc = Math.Min(kcur, ic + mcur - p0);
                    if (kc <= 0) continue;
                }
                else if (structure == GemmStructure.LowerC)
                {
                    // Slivers starting right of the block's last row lie wholly above the diagonal.
                    sEnd = Math.Min(s1, Ceil(ic + mcur - jc, nr));
                }
                GemmPacking.PackA(a, lda, transA, structure == GemmStructure.LowerA, ic, p0, mcur, kc, mr, packA);
                for (int s = s0; s < sEnd; s++)
                {
                    int jr = s * nr;
                    int cols = Math.Min(nr, ncur - jr);
                    float* bp = panel + (long)s * kcur * nr;
                    if (panel == null)
                    {
                        GemmPacking.PackB(b, ldb, transB, structure == GemmStructure.LowerB, p0, jc, kcur, ncur, nr, s, sliver);
                        bp = sliver;
                    }
                    // A lower-triangular op(B) is zero above the sliver's first column: start the k loop below that
                    // (a sliver with nothing left still runs, with no steps, to apply beta).
                    int ks = structure == GemmStructure.LowerB ? GemmPacking.SkippedRows(p0, jc + jr, kc) : 0;
                    bp += (long)ks * nr;
                    for (int ir = 0; ir < mcur; ir += mr)
                    {
                        int rows = Math.Min(mr, mcur - ir);
                        float* ap = packA + (long)ir * kc + (long)ks * mr;
                        float* cp = c + (long)(ic + ir) * ldc + jc + jr;
                        if (rows == mr && cols == nr)
                        {
                            compute(ap, bp, kc - ks, cp, ldc, alpha, beta);
                            continue;
                        }

                        // Ragged edge: full tile into scratch, then merge the valid part.
                        compute(ap, bp, kc - ks, tile, nr, 1f, 0f);
                        for (int r = 0; r < rows; r++)
                        {
                            float* cr = cp + (long)r * ldc;
                            float* tr = tile + r * nr;
                            for (int q = 0; q < cols; q++)
                                cr[q] = beta == 0 ? alpha * tr[q] : alpha * tr[q] + beta * cr[q];
                        }
                    }
                }
            }
        }
    }

    private static float* PackBuffer(int floats)
    {
        var buffer = t_pack;
        if (buffer is null || buffer.Length < floats + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            t_pack = buffer;
        }
        return Align((float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)));
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int Ceil(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int y) => Ceil(x, y) * y;

    private static void Scale(int m, int n, float beta, float[] c, int cOffset, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.AsSpan(cOffset + i * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // Tiny products: straight loops, accumulating in double.
    private static void Direct(bool transA, bool transB, int m, int n, int k, float alpha,
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
}
