using Shrink.Methods.Quantization.Equivalence;
using Shrink.Numerics;

namespace Shrink.Tests.Numerics;

public class HadamardMatrixTests
{
    /// <summary>Every order 2..1024 of the form 2^k, 12·2^k or 20·2^k.</summary>
    public static TheoryData<int> SupportedOrders()
    {
        var orders = new SortedSet<int>();
        foreach (int m in new[] { 1, 12, 20 })
            for (int n = m; n <= 1024; n *= 2)
                if (n >= 2) orders.Add(n);
        var data = new TheoryData<int>();
        foreach (int n in orders) data.Add(n);
        return data;
    }

    [Theory]
    [MemberData(nameof(SupportedOrders))]
    public void Normalized_matrix_is_orthogonal(int n)
    {
        Assert.True(HadamardMatrix.Supports(n, out var construction));
        Assert.StartsWith(n.ToString(System.Globalization.CultureInfo.InvariantCulture), construction);
        var h = HadamardMatrix.TryCreate(n)!;
        Assert.All(h, v => Assert.True(v is 1 or -1));
        Assert.True(OrthogonalityError(h.Select(v => v / Math.Sqrt(n)).ToArray(), n) < 1e-5);
    }

    [Theory]
    [InlineData(28)]
    [InlineData(100)]
    [InlineData(3)]
    public void Orders_without_a_construction_fall_back_to_a_random_orthogonal_matrix(int n)
    {
        Assert.False(HadamardMatrix.Supports(n, out _));
        Assert.Null(HadamardMatrix.TryCreate(n));
        var (q, setting, note) = RotationMatrices.RandomizedHadamard(n, seed: 3);
        Assert.Equal($"random orthogonal {n}", setting);
        Assert.Equal($"d = {n}: no Hadamard construction, random orthogonal", note);
        Assert.True(OrthogonalityError(q, n) < 1e-5);
    }

    [Fact]
    public void Randomized_hadamard_signs_follow_the_seed_and_keep_orthogonality()
    {
        var (a, setting, note) = RotationMatrices.RandomizedHadamard(192, seed: 1);
        var (b, _, _) = RotationMatrices.RandomizedHadamard(192, seed: 1);
        var (c, _, _) = RotationMatrices.RandomizedHadamard(192, seed: 2);
        Assert.Equal("hadamard 192 = 12×16", setting);
        Assert.Null(note);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(OrthogonalityError(a, 192) < 1e-5);
        Assert.All(a, v => Assert.Equal(1 / Math.Sqrt(192), Math.Abs(v), 12));
    }

    [Fact]
    public void Klt_rotation_diagonalizes_the_second_moment_matrix()
    {
        const int n = 16;
        var random = new Random(5);
        var x = new double[200 * n];
        for (int r = 0; r < 200; r++)
        {
            double common = random.NextDouble() - 0.5;
            for (int c = 0; c < n; c++) x[r * n + c] = common * (c + 1) + 0.1 * (random.NextDouble() - 0.5);
        }
        var m = new float[n * n];
        for (int r = 0; r < 200; r++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) m[i * n + j] += (float)(x[r * n + i] * x[r * n + j]);
        var (q, setting, _) = RotationMatrices.Build(RotationKind.Klt, n, 0, m);
        Assert.Equal("klt 16", setting);
        Assert.True(OrthogonalityError(q.Select(v => (double)v).ToArray(), n) < 1e-5);
        // Qᵀ M Q is diagonal: off-diagonal mass below 1e-4 of the total.
        double off = 0, total = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double s = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) s += q[i * n + a] * m[i * n + j] * q[j * n + b];
                total += Math.Abs(s);
                if (a != b) off += Math.Abs(s);
            }
        Assert.True(off / total < 1e-4, $"off-diagonal share {off / total:G3}");
        var (kh, khSetting, _) = RotationMatrices.Build(RotationKind.KltHadamard, n, 0, m);
        Assert.Equal("klt+hadamard 16 = 2^4", khSetting);
        Assert.True(OrthogonalityError(kh.Select(v => (double)v).ToArray(), n) < 1e-5);
    }

    /// <summary>max |(Q·Qᵀ − I)_ij|.</summary>
    private static double OrthogonalityError(double[] q, int n)
    {
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += q[i * n + k] * q[j * n + k];
                worst = Math.Max(worst, Math.Abs(s - (i == j ? 1 : 0)));
            }
        return worst;
    }
}
