using Shrink.Methods.Quantization.Equivalence;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class HadamardFactorsTests
{
    [Theory]
    [InlineData(64, 8, 8)]
    [InlineData(128, 16, 8)]
    [InlineData(192, 12, 16)]
    [InlineData(256, 16, 16)]
    [InlineData(320, 20, 16)]
    [InlineData(768, 24, 32)]
    public void The_kronecker_form_applies_the_same_rotation_as_the_dense_matrix_with_the_cheapest_split(int n, int a, int b)
    {
        var f = HadamardFactors.For(n, seed: 3);
        Assert.NotNull(f);
        Assert.Equal((a, b), (f.A, f.B));
        var (dense, _, _) = RotationMatrices.RandomizedHadamard(n, 3);
        var random = new Random(n);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * (i == 5 ? 40 : 1);
        // Dense: y = x·Q.
        var expected = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) expected[j] += x[i] * dense[i * n + j];
        // Factored: X = reshape(x ⊙ s/√n, [a, b]); Y = Aᵀ·X·B.
        var half = new double[n];
        for (int i = 0; i < a; i++)
            for (int c = 0; c < b; c++)
                for (int r = 0; r < b; r++) half[i * b + c] += x[i * b + r] * f.Scaled[i * b + r] * f.Right[r * b + c];
        var actual = new double[n];
        for (int j = 0; j < a; j++)
            for (int c = 0; c < b; c++)
                for (int i = 0; i < a; i++) actual[j * b + c] += f.LeftTransposed[j * a + i] * half[i * b + c];
        for (int j = 0; j < n; j++) Assert.Equal(expected[j], actual[j], 1e-4);
    }

    [Theory]
    [InlineData(32)] // below the order worth factoring
    [InlineData(100)] // no Hadamard construction (random orthogonal, applied densely)
    public void Orders_without_a_useful_kronecker_form_stay_dense(int n) => Assert.Null(HadamardFactors.For(n, seed: 0));
}
