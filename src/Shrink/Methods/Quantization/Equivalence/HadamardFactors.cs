using Shrink.Numerics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// A randomized Hadamard rotation Q = diag(s)·H/√n applied in its Kronecker form: H = H_a ⊗ H_b, so
/// x·Q = reshape(Aᵀ·X·B) for X = reshape((x ⊙ s)/√n, [a, b]), with A = H_a, B = H_b. That costs n·(a + b)
/// multiply-adds per row instead of n² (768 = 24 × 32: 56 instead of 768 per channel), which is what an online rotation
/// costs at run time. The factors are the same ±1 matrices <see cref="HadamardMatrix"/> builds, checked entry by entry.
/// </summary>
/// <param name="Scaled">s/√n, the diagonal applied first.</param>
/// <param name="LeftTransposed">H_aᵀ, [a × a] row-major.</param>
/// <param name="A">Order of the left factor.</param>
/// <param name="Right">H_b, [b × b] row-major.</param>
/// <param name="B">Order of the right factor.</param>
public sealed record HadamardFactors(float[] Scaled, float[] LeftTransposed, int A, float[] Right, int B)
{
    /// <summary>The smallest order worth factoring (below it one dense MatMul is as cheap).</summary>
    public const int MinimumOrder = 64;

    /// <summary>
    /// The factors of <see cref="RotationMatrices.RandomizedHadamard"/>(<paramref name="n"/>, <paramref name="seed"/>)
    /// minimizing a + b, or null where n has no Hadamard construction, is below <see cref="MinimumOrder"/>, or does not
    /// split into two constructed factors.
    /// </summary>
    public static HadamardFactors? For(int n, int seed)
    {
        if (n < MinimumOrder) return null;
        var h = HadamardMatrix.TryCreate(n);
        if (h is null) return null;
        (int A, int B, sbyte[] Ha, sbyte[] Hb)? best = null;
        for (int b = 2; b < n; b *= 2)
        {
            if (n % b != 0) break;
            int a = n / b;
            if (a < 2 || best is { } current && a + b >= current.A + current.B) continue;
            if (HadamardMatrix.TryCreate(a) is not { } ha || HadamardMatrix.TryCreate(b) is not { } hb || !IsKronecker(h, n, ha, a, hb, b)) continue;
            best = (a, b, ha, hb);
        }
        if (best is not { } f) return null;
        var (dense, _, _) = RotationMatrices.RandomizedHadamard(n, seed);
        var scaled = new float[n];
        for (int i = 0; i < n; i++) scaled[i] = (float)(dense[i * n] / h[i * n]); // row i of the dense matrix is s_i·h_i/√n
        var left = new float[f.A * f.A];
        for (int i = 0; i < f.A; i++)
            for (int j = 0; j < f.A; j++) left[j * f.A + i] = f.Ha[i * f.A + j];
        var right = new float[f.B * f.B];
        for (int i = 0; i < right.Length; i++) right[i] = f.Hb[i];
        return new HadamardFactors(scaled, left, f.A, right, f.B);
    }

    private static bool IsKronecker(sbyte[] h, int n, sbyte[] ha, int a, sbyte[] hb, int b)
    {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < a; j++)
                for (int r = 0; r < b; r++)
                    for (int c = 0; c < b; c++)
                        if (h[(i * b + r) * n + j * b + c] != ha[i * a + j] * hb[r * b + c]) return false;
        return true;
    }
}
