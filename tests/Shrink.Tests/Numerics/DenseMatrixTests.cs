using Shrink.Numerics;

namespace Shrink.Tests.Numerics;

public sealed class DenseMatrixTests
{
    private static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    // C = beta·C + alpha·op(A)·op(B) in double, written independently of the library.
    private static double[] ReferenceGemm(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int aOffset, int lda,
        float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc)
    {
        var result = new double[c.Length];
        for (int i = 0; i < c.Length; i++) result[i] = c[i];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
                    double bv = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
                    sum += av * bv;
                }
                int at = cOffset + i * ldc + j;
                result[at] = (beta == 0 ? 0 : beta * (double)c[at]) + alpha * sum;
            }
        }
        return result;
    }

    // Elementwise |x − ref| ≤ tol·(scale + |ref|), with scale the typical size of a dot product term sum.
    private static void AssertClose(double[] expected, float[] actual, double scale, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            Assert.False(!(err <= tol * (scale + Math.Abs(expected[i]))), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static void CheckGemm(GemmKernel kernel, int threads, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int pad, int seed, bool nanInC = false)
    {
        // Leading dimensions wider than the rows and nonzero offsets exercise sub-block addressing.
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + 2 * pad, ldc = n + 3 * pad;
        int aOffset = pad * 5 + 1, bOffset = pad * 3 + 2, cOffset = pad * 7 + 3;
        var a = Random(aOffset + aRows * lda + 3, seed);
        var b = Random(bOffset + bRows * ldb + 3, seed + 1);
        var c = Random(cOffset + m * ldc + 3, seed + 2);
        if (nanInC)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) c[cOffset + i * ldc + j] = float.NaN;
        var expected = ReferenceGemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        GemmDriver.Run(kernel, threads, GemmStructure.General, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
            beta, c, cOffset, ldc);
        // Terms are products of numbers in [-1, 1]: the sum of k of them is of size about √k.
        AssertClose(expected, c, Math.Abs(alpha) * Math.Sqrt(k + 1) + Math.Abs(beta));
    }

    // Every kernel family this machine accelerates (as ints: the enum is internal), not only the one chosen by default.
    public static TheoryData<int> Kernels()
    {
        var data = new TheoryData<int>();
        foreach (var kind in Enum.GetValues<GemmKernelKind>())
            if (GemmKernel.IsAccelerated(kind)) data.Add((int)kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_matches_the_reference_for_all_transposes_and_odd_sizes(int kind)
    {
        var kernel = GemmKernel.Get((GemmKernelKind)kind);
        int[][] shapes = [[1, 1, 1], [7, 31, 33], [33, 7, 65], [65, 130, 7], [130, 33, 257], [257, 65, 31], [31, 257, 130], [1, 65, 257], [130, 1, 33]];
        int seed = 10;
        foreach (var s in shapes)
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    CheckGemm(kernel, 1, transA, transB, s[0], s[1], s[2], 1f, 0f, 0, seed++);
                    CheckGemm(kernel, 2, transA, transB, s[0], s[1], s[2], -0.75f, 0.5f, 3, seed++);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_with_beta_zero_ignores_nan_in_c(int kind)
    {
        var kernel = GemmKernel.Get((GemmKernelKind)kind);
        CheckGemm(kernel, 1, false, false, 65, 130, 257, 2f, 0f, 1, 50, nanInC: true);
        CheckGemm(kernel, 2, true, true, 130, 65, 300, 1f, 0f, 2, 51, nanInC: true);
        // Tiny problems take the direct path.
        CheckGemm(kernel, 1, false, true, 3, 5, 7, 1f, 0f, 1, 52, nanInC: true);
    }

    [Fact]
    public void Gemm_alpha_zero_and_k_zero_only_scale_c()
    {
        var c = Random(6, 3);
        var expected = c.Select(v => 0.5 * v).ToArray();
        DenseMatrix.Gemm(false, false, 2, 3, 0, 1f, [], 0, 0, [], 0, 3, 0.5f, c, 0, 3);
        AssertClose(expected, c, 1e-3);
        var d = new[] { float.NaN, 1f, 2f, 3f };
        DenseMatrix.Gemm(false, false, 2, 2, 2, 0f, Random(4, 1), 0, 2, Random(4, 2), 0, 2, 0f, d, 0, 2);
        Assert.All(d, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Gemm_large_enough_for_the_parallel_path_matches_the_reference()
    {
        // 300×520×260 with 2+ threads splits into several row blocks, column panels and k slices (Kc = 256).
        var kernel = GemmKernel.Best;
        CheckGemm(kernel, Math.Max(2, Environment.ProcessorCount), false, false, 300, 520, 260, 1f, 0f, 0, 60);
        CheckGemm(kernel, Math.Max(2, Environment.ProcessorCount), true, true, 300, 520, 600, 0.5f, -1f, 5, 61);
        CheckGemm(kernel, Math.Max(2, Environment.ProcessorCount), true, false, 17, 4100, 513, 1f, 1f, 1, 62);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gram_products_with_beta_zero_are_full_and_symmetric(bool transA)
    {
        // XᵀX (or X·Xᵀ) from a single operand takes the lower-triangle-and-mirror path; the result must be all of C.
        int n = 300, k = 77, pad = 3, offset = 5;
        int ld = (transA ? n : k) + pad;
        var x = Random(offset + (transA ? k : n) * ld, 95);
        var c = new float[n * (n + 1)];
        Array.Fill(c, float.NaN);
        for (int i = 0; i < n; i++) c[i * (n + 1) + n] = 7f; // the padding column, outside C, must stay as it is
        var expected = ReferenceGemm(transA, !transA, n, n, k, 0.5f, x, offset, ld, x, offset, ld, 0f, c, 0, n + 1);
        DenseMatrix.Gemm(transA, !transA, n, n, k, 0.5f, x, offset, ld, x, offset, ld, 0f, c, 0, n + 1);
        AssertClose(expected, c, 0.5 * Math.Sqrt(k));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) Assert.Equal(c[i * (n + 1) + j], c[j * (n + 1) + i]);
    }

    [Fact]
    public void Public_gemm_matches_the_reference_and_checks_bounds()
    {
        int m = 70, n = 45, k = 90;
        var a = Random(m * k, 70);
        var b = Random(n * k, 71);
        var c = Random(m * n, 72);
        var expected = ReferenceGemm(false, true, m, n, k, 1.5f, a, 0, k, b, 0, k, 0.25f, c, 0, n);
        DenseMatrix.Gemm(false, true, m, n, k, 1.5f, a, 0, k, b, 0, k, 0.25f, c, 0, n);
        AssertClose(expected, c, 1.5 * Math.Sqrt(k));
        Assert.Throws<ArgumentOutOfRangeException>(() => DenseMatrix.Gemm(false, true, m, n, k, 1f, a, 1, k, b, 0, k, 0f, c, 0, n));
        Assert.Throws<ArgumentOutOfRangeException>(() => DenseMatrix.Gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n + 1, 0f, c, 0, n));
    }

    [Fact]
    public void Lower_structures_skip_only_what_they_promise()
    {
        var kernel = GemmKernel.Best;
        int m = 300, n = 70, k = 300;
        // LowerA: op(A) lower triangular with garbage above the diagonal, which must read as zero.
        var a = Random(m * k, 80);
        var b = Random(k * n, 81);
        var c = new float[m * n];
        var clean = (float[])a.Clone();
        for (int i = 0; i < m; i++)
            for (int p = i + 1; p < k; p++) clean[i * k + p] = 0;
        var expected = ReferenceGemm(false, false, m, n, k, 1f, clean, 0, k, b, 0, n, 0f, c, 0, n);
        GemmDriver.Run(kernel, 2, GemmStructure.LowerA, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        AssertClose(expected, c, Math.Sqrt(k));

        // LowerC: the lower triangle of C is exact.
        var x = Random(m * 40, 82);
        var d = Random(m * m, 83);
        var full = ReferenceGemm(false, true, m, m, 40, -1f, x, 0, 40, x, 0, 40, 1f, d, 0, m);
        GemmDriver.Run(kernel, 2, GemmStructure.LowerC, false, true, m, m, 40, -1f, x, 0, 40, x, 0, 40, 1f, d, 0, m);
        for (int i = 0; i < m; i++)
            for (int j = 0; j <= i; j++) Assert.True(Math.Abs(d[i * m + j] - full[i * m + j]) <= 1e-4 * 8, $"({i},{j})");

        // LowerB: op(B) lower triangular with garbage above the diagonal; slivers right of a whole K slice still get beta.
        foreach (bool transB in new[] { false, true })
        {
            int kb = 600, nb = 590;
            var lhs = Random(70 * kb, 84);
            var tri = Random(kb * nb, 85);
            var triClean = (float[])tri.Clone();
            for (int p = 0; p < kb; p++)
                for (int j = p + 1; j < nb; j++) triClean[transB ? j * kb + p : p * nb + j] = 0;
            var e = Random(70 * nb, 86);
            var want = ReferenceGemm(false, transB, 70, nb, kb, 1f, lhs, 0, kb, triClean, 0, transB ? kb : nb, 0.5f, e, 0, nb);
            GemmDriver.Run(kernel, 2, GemmStructure.LowerB, false, transB, 70, nb, kb, 1f, lhs, 0, kb, tri, 0, transB ? kb : nb, 0.5f, e, 0, nb);
            AssertClose(want, e, Math.Sqrt(kb));
        }
    }

    private static float[] Spd(int n, int seed)
    {
        // XᵀX/rows + εI with rows > n: well conditioned and symmetric positive definite.
        int rows = n + 16;
        var x = Random(rows * n, seed);
        var a = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int r = 0; r < rows; r++) s += (double)x[r * n + i] * x[r * n + j];
                a[i * n + j] = a[j * n + i] = (float)(s / rows);
            }
            a[i * n + i] += 0.05f;
        }
        return a;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(200)]
    [InlineData(300)]
    public void Cholesky_reproduces_the_matrix_and_zeroes_the_upper_triangle(int n)
    {
        var a = Spd(n, 90 + n);
        var l = (float[])a.Clone();
        // Garbage in the upper triangle must not matter: only the lower one is read.
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) l[i * n + j] = float.NaN;
        Assert.True(DenseMatrix.TryCholesky(l, n));
        double maxAbs = a.Max(v => Math.Abs(v));
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (j > i) Assert.Equal(0f, l[i * n + j]);
                double s = 0;
                for (int p = 0; p <= Math.Min(i, j); p++) s += (double)l[i * n + p] * l[j * n + p];
                Assert.True(Math.Abs(s - a[i * n + j]) <= 1e-5 * maxAbs * Math.Sqrt(n + 1), $"({i},{j}): {s} vs {a[i * n + j]}");
            }
            Assert.True(l[i * n + i] > 0);
        }
    }

    [Fact]
    public void Blocked_cholesky_with_small_blocks_matches_the_unblocked_one()
    {
        // Block size 16 on n = 75 gives many panels, a ragged last block and several trailing updates.
        int n = 75;
        var a = Spd(n, 7);
        var blocked = (float[])a.Clone();
        var single = (float[])a.Clone();
        Assert.True(BlockedCholesky.Factor(blocked, n, 16));
        Assert.True(BlockedCholesky.Factor(single, n, n));
        for (int i = 0; i < n * n; i++) Assert.True(Math.Abs(blocked[i] - single[i]) <= 1e-4, $"element {i}");
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(150, 149)]
    [InlineData(300, 0)]
    public void Cholesky_refuses_a_matrix_that_is_not_positive_definite(int n, int badPivot)
    {
        var a = Spd(n, 11);
        // Make the leading (badPivot+1)×(badPivot+1) block indefinite: a negative diagonal entry.
        a[badPivot * n + badPivot] = -1f;
        Assert.False(DenseMatrix.TryCholesky(a, n));
        var nan = Spd(n, 12);
        nan[(n - 1) * n + n - 1] = float.NaN;
        Assert.False(DenseMatrix.TryCholesky(nan, n));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(300)]
    [InlineData(520)]
    public void Inverse_times_the_matrix_is_the_identity(int n)
    {
        var l = Spd(n, 30 + n);
        Assert.True(DenseMatrix.TryCholesky(l, n));
        var inv = (float[])l.Clone();
        DenseMatrix.InvertLowerTriangular(inv, n);
        double maxInv = inv.Max(v => Math.Abs(v)), maxL = l.Max(v => Math.Abs(v));
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (j > i)
                {
                    Assert.Equal(0f, inv[i * n + j]);
                    continue;
                }
                double s = 0;
                for (int p = j; p <= i; p++) s += (double)l[i * n + p] * inv[p * n + j];
                double expected = i == j ? 1 : 0;
                Assert.True(Math.Abs(s - expected) <= 1e-5 * maxL * maxInv * Math.Sqrt(n), $"({i},{j}): {s}");
            }
        }
    }

    [Fact]
    public void Blocked_inverse_with_small_blocks_ignores_the_upper_triangle()
    {
        int n = 75;
        var l = Spd(n, 8);
        Assert.True(DenseMatrix.TryCholesky(l, n));
        var reference = (float[])l.Clone();
        TriangularInverse.Invert(reference, n, n);
        var blocked = (float[])l.Clone();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) blocked[i * n + j] = float.NaN;
        TriangularInverse.Invert(blocked, n, 16);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
                Assert.True(Math.Abs(blocked[i * n + j] - reference[i * n + j]) <= 1e-4 * (1 + Math.Abs(reference[i * n + j])), $"({i},{j})");
            for (int j = i + 1; j < n; j++) Assert.True(float.IsNaN(blocked[i * n + j]));
        }
    }
}
