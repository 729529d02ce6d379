using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Shrink.Numerics;

/// <summary>
/// Blocked, packed, optionally parallel GEMM (Goto/BLIS loop nest) over row-major arrays:
/// for each Nc-wide column panel and Kc-deep slice, op(B) is packed once and shared, then independent Mc-row blocks of C
/// (split further by columns when there are too few) are handed to workers, each packing its own block of op(A) and
/// running the micro-kernel over the tiles of its block.
/// </summary>
internal static unsafe class GemmDriver
{
    // Below this many multiply-adds the blocked path's packing and dispatch cost more than they save.
    private const long DirectLimit = 4096;

    // Below this many multiply-adds a problem stays on the calling thread (a Parallel.For costs some microseconds).
    private const long ParallelLimit = 1 << 21;

    // Packed A block of the current thread: pinned (the pinned heap never moves it), so workers can hold raw pointers.
    [ThreadStatic]
    private static float[]? t_packA;

    /// <summary>
    /// C = beta·C + alpha·op(A)·op(B); arguments as in <see cref="DenseMatrix.Gemm"/>, already validated, and C must not
    /// overlap A or B. At most <paramref name="maxThreads"/> threads work on it.
    /// </summary>
    public static void Run(GemmKernel kernel, int maxThreads, GemmStructure structure, bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
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
        int mr = kernel.Mr, nr = kernel.Nr;
        int ncMax = Math.Min(kernel.Nc, RoundUp(n, nr));
        int kcMax = Math.Min(kernel.Kc, k);

        // Row blocks: at most Mc rows, evenly sized, and at least one per thread when m allows it so that no worker packs
        // the same rows of A as another.
        int rowBlocks = Math.Max(Ceil(m, kernel.Mc), Math.Min(threads, Ceil(m, mr)));
        int mc = RoundUp(Ceil(m, rowBlocks), mr);
        rowBlocks = Ceil(m, mc);

        // 16 floats of slack to align the packed panels on 64 bytes.
        float[] packBArray = ArrayPool<float>.Shared.Rent(kcMax * ncMax + 16);
        try
        {
            fixed (float* pa = a, pb = b, pc = c, pbRaw = packBArray)
            {
                float* aBase = pa + aOffset, bBase = pb + bOffset, cBase = pc + cOffset;
                float* packB = Align(pbRaw);
                for (int jc = 0; jc < n; jc += kernel.Nc)
                {
                    int ncur = Math.Min(kernel.Nc, n - jc);
                    int slivers = Ceil(ncur, nr);
                    for (int p0 = 0; p0 < k; p0 += kernel.Kc)
                    {
                        int kcur = Math.Min(kernel.Kc, k - p0);
                        float betaNow = p0 == 0 ? beta : 1f;
                        var job = new Job(kernel, structure, transA, aBase, lda, cBase, ldc, packB, alpha, betaNow, m, mc, jc, ncur, p0, kcur);
                        if (threads == 1)
                        {
                            GemmPacking.PackB(bBase, ldb, transB, p0, jc, kcur, ncur, nr, packB, 0, slivers);
                            job.Run(0, m, 0, slivers);
                            continue;
                        }

                        nint bAddr = (nint)bBase, packAddr = (nint)packB;
                        int bParts = Math.Min(threads, slivers);
                        Parallel.For(0, bParts, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                            GemmPacking.PackB((float*)bAddr, ldb, transB, p0, jc, kcur, ncur, nr, (float*)packAddr,
                                slivers * t / bParts, slivers * (t + 1) / bParts));

                        // Too few row blocks for the threads: cut the panel's columns too (each piece repacks its A rows).
                        int colChunks = rowBlocks >= threads ? 1 : Math.Min(slivers, Ceil(2 * threads, rowBlocks));
                        Parallel.For(0, rowBlocks * colChunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, task =>
                        {
                            int rb = task / colChunks, cb = task % colChunks;
                            job.Run(rb * mc, Math.Min(m, (rb + 1) * mc), slivers * cb / colChunks, slivers * (cb + 1) / colChunks);
                        });
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packBArray);
        }
    }

    /// <summary>One Kc-deep slice of one column panel: the state the workers share.</summary>
    private readonly struct Job(GemmKernel kernel, GemmStructure structure, bool transA, float* a, int lda, float* c, int ldc, float* packB,
        float alpha, float beta, int m, int mc, int jc, int ncur, int p0, int kcur)
    {
        /// <summary>Rows [i0, i1) of C against B slivers [s0, s1) of the packed panel.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int i0, int i1, int s0, int s1)
        {
            int mr = kernel.Mr, nr = kernel.Nr;
            var compute = kernel.Compute;
            float* packA = PackABuffer(RoundUp(mc, mr) * kernel.Kc);
            float* tile = stackalloc float[mr * nr];
            for (int ic = i0; ic < i1; ic += mc)
            {
                int mcur = Math.Min(mc, Math.Min(i1, m) - ic);
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
                    float* bp = packB + (long)s * kcur * nr;
                    for (int ir = 0; ir < mcur; ir += mr)
                    {
                        int rows = Math.Min(mr, mcur - ir);
                        float* ap = packA + (long)ir * kc;
                        float* cp = c + (long)(ic + ir) * ldc + jc + jr;
                        if (rows == mr && cols == nr)
                        {
                            compute(ap, bp, kc, cp, ldc, alpha, beta);
                            continue;
                        }

                        // Ragged edge: full tile into scratch, then merge the valid part.
                        compute(ap, bp, kc, tile, nr, 1f, 0f);
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

    private static float* PackABuffer(int floats)
    {
        var buffer = t_packA;
        if (buffer is null || buffer.Length < floats + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            t_packA = buffer;
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
