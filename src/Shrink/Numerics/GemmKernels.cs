using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Shrink.Numerics;

/// <summary>
/// GEMM micro-kernels: each keeps a whole register tile of C in vector locals (the accumulators never touch memory inside
/// the k loop), streams one packed sliver of A (broadcast per row) and one of B (Nr/width vector loads per step), and
/// merges alpha·tile into C once at the end.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Vector512 micro-kernel: a 8×32 tile of C from packed slivers of A (8 rows) and B (32 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        PrefetchTile(c, ldc, 8, 32);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector512.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector512.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector512.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector512.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector512.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector512.MultiplyAddEstimate(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.MultiplyAddEstimate(a6, b0, c60);
            c61 = Vector512.MultiplyAddEstimate(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.MultiplyAddEstimate(a7, b0, c70);
            c71 = Vector512.MultiplyAddEstimate(a7, b1, c71);
            a += 8;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (c00 * va).Store(c + 0 * ldc);
            (c01 * va).Store(c + 0 * ldc + 16);
            (c10 * va).Store(c + 1 * ldc);
            (c11 * va).Store(c + 1 * ldc + 16);
            (c20 * va).Store(c + 2 * ldc);
            (c21 * va).Store(c + 2 * ldc + 16);
            (c30 * va).Store(c + 3 * ldc);
            (c31 * va).Store(c + 3 * ldc + 16);
            (c40 * va).Store(c + 4 * ldc);
            (c41 * va).Store(c + 4 * ldc + 16);
            (c50 * va).Store(c + 5 * ldc);
            (c51 * va).Store(c + 5 * ldc + 16);
            (c60 * va).Store(c + 6 * ldc);
            (c61 * va).Store(c + 6 * ldc + 16);
            (c70 * va).Store(c + 7 * ldc);
            (c71 * va).Store(c + 7 * ldc + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Update(c00, va, vb, c + 0 * ldc);
            Update(c01, va, vb, c + 0 * ldc + 16);
            Update(c10, va, vb, c + 1 * ldc);
            Update(c11, va, vb, c + 1 * ldc + 16);
            Update(c20, va, vb, c + 2 * ldc);
            Update(c21, va, vb, c + 2 * ldc + 16);
            Update(c30, va, vb, c + 3 * ldc);
            Update(c31, va, vb, c + 3 * ldc + 16);
            Update(c40, va, vb, c + 4 * ldc);
            Update(c41, va, vb, c + 4 * ldc + 16);
            Update(c50, va, vb, c + 5 * ldc);
            Update(c51, va, vb, c + 5 * ldc + 16);
            Update(c60, va, vb, c + 6 * ldc);
            Update(c61, va, vb, c + 6 * ldc + 16);
            Update(c70, va, vb, c + 7 * ldc);
            Update(c71, va, vb, c + 7 * ldc + 16);
        }
    }

    /// <summary>Vector256 micro-kernel: a 6×16 tile of C from packed slivers of A (6 rows) and B (16 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        PrefetchTile(c, ldc, 6, 16);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(a5, b1, c51);
            a += 6;
            b += 16;
        }
        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            (c00 * va).Store(c + 0 * ldc);
            (c01 * va).Store(c + 0 * ldc + 8);
            (c10 * va).Store(c + 1 * ldc);
            (c11 * va).Store(c + 1 * ldc + 8);
            (c20 * va).Store(c + 2 * ldc);
            (c21 * va).Store(c + 2 * ldc + 8);
            (c30 * va).Store(c + 3 * ldc);
            (c31 * va).Store(c + 3 * ldc + 8);
            (c40 * va).Store(c + 4 * ldc);
            (c41 * va).Store(c + 4 * ldc + 8);
            (c50 * va).Store(c + 5 * ldc);
            (c51 * va).Store(c + 5 * ldc + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Update(c00, va, vb, c + 0 * ldc);
            Update(c01, va, vb, c + 0 * ldc + 8);
            Update(c10, va, vb, c + 1 * ldc);
            Update(c11, va, vb, c + 1 * ldc + 8);
            Update(c20, va, vb, c + 2 * ldc);
            Update(c21, va, vb, c + 2 * ldc + 8);
            Update(c30, va, vb, c + 3 * ldc);
            Update(c31, va, vb, c + 3 * ldc + 8);
            Update(c40, va, vb, c + 4 * ldc);
            Update(c41, va, vb, c + 4 * ldc + 8);
            Update(c50, va, vb, c + 5 * ldc);
            Update(c51, va, vb, c + 5 * ldc + 8);
        }
    }

    /// <summary>Vector128 micro-kernel: a 8×8 tile of C from packed slivers of A (8 rows) and B (8 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel128(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        PrefetchTile(c, ldc, 8, 8);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(a5, b1, c51);
            var a6 = Vector128.Create(a[6]);
            c60 = Vector128.MultiplyAddEstimate(a6, b0, c60);
            c61 = Vector128.MultiplyAddEstimate(a6, b1, c61);
            var a7 = Vector128.Create(a[7]);
            c70 = Vector128.MultiplyAddEstimate(a7, b0, c70);
            c71 = Vector128.MultiplyAddEstimate(a7, b1, c71);
            a += 8;
            b += 8;
        }
        var va = Vector128.Create(alpha);
        if (beta == 0)
        {
            (c00 * va).Store(c + 0 * ldc);
            (c01 * va).Store(c + 0 * ldc + 4);
            (c10 * va).Store(c + 1 * ldc);
            (c11 * va).Store(c + 1 * ldc + 4);
            (c20 * va).Store(c + 2 * ldc);
            (c21 * va).Store(c + 2 * ldc + 4);
            (c30 * va).Store(c + 3 * ldc);
            (c31 * va).Store(c + 3 * ldc + 4);
            (c40 * va).Store(c + 4 * ldc);
            (c41 * va).Store(c + 4 * ldc + 4);
            (c50 * va).Store(c + 5 * ldc);
            (c51 * va).Store(c + 5 * ldc + 4);
            (c60 * va).Store(c + 6 * ldc);
            (c61 * va).Store(c + 6 * ldc + 4);
            (c70 * va).Store(c + 7 * ldc);
            (c71 * va).Store(c + 7 * ldc + 4);
        }
        else
        {
            var vb = Vector128.Create(beta);
            Update(c00, va, vb, c + 0 * ldc);
            Update(c01, va, vb, c + 0 * ldc + 4);
            Update(c10, va, vb, c + 1 * ldc);
            Update(c11, va, vb, c + 1 * ldc + 4);
            Update(c20, va, vb, c + 2 * ldc);
            Update(c21, va, vb, c + 2 * ldc + 4);
            Update(c30, va, vb, c + 3 * ldc);
            Update(c31, va, vb, c + 3 * ldc + 4);
            Update(c40, va, vb, c + 4 * ldc);
            Update(c41, va, vb, c + 4 * ldc + 4);
            Update(c50, va, vb, c + 5 * ldc);
            Update(c51, va, vb, c + 5 * ldc + 4);
            Update(c60, va, vb, c + 6 * ldc);
            Update(c61, va, vb, c + 6 * ldc + 4);
            Update(c70, va, vb, c + 7 * ldc);
            Update(c71, va, vb, c + 7 * ldc + 4);
        }
    }

    /// <summary>Scalar fallback micro-kernel: a 4×4 tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KernelScalar(float* a, float* b, int kc, float* c, int ldc, float alpha, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4;
            b += 4;
        }
        Merge(c, alpha, beta, c00, c01, c02, c03);
        Merge(c + ldc, alpha, beta, c10, c11, c12, c13);
        Merge(c + 2 * ldc, alpha, beta, c20, c21, c22, c23);
        Merge(c + 3 * ldc, alpha, beta, c30, c31, c32, c33);
    }

    private static void Merge(float* c, float alpha, float beta, float x0, float x1, float x2, float x3)
    {
        c[0] = beta == 0 ? alpha * x0 : alpha * x0 + beta * c[0];
        c[1] = beta == 0 ? alpha * x1 : alpha * x1 + beta * c[1];
        c[2] = beta == 0 ? alpha * x2 : alpha * x2 + beta * c[2];
        c[3] = beta == 0 ? alpha * x3 : alpha * x3 + beta * c[3];
    }

    // C is touched once per kernel call, after the k loop: start fetching it now so that its misses overlap the FMAs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int rows, int cols)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < rows; i++)
        {
            float* row = c + (long)i * ldc;
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + cols - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, float* c) =>
        Vector512.MultiplyAddEstimate(acc, alpha, Vector512.Load(c) * beta).Store(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, float* c) =>
        Vector256.MultiplyAddEstimate(acc, alpha, Vector256.Load(c) * beta).Store(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(Vector128<float> acc, Vector128<float> alpha, Vector128<float> beta, float* c) =>
        Vector128.MultiplyAddEstimate(acc, alpha, Vector128.Load(c) * beta).Store(c);
}
