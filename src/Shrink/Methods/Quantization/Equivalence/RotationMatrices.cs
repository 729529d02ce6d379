using Shrink.Numerics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// The orthogonal matrices <c>--rotate</c> uses, row-major [n×n] in float: a randomized Hadamard matrix diag(s)·H/√n
/// (QuaRot; seeded ±1 signs, a seeded random orthogonal matrix where no Hadamard construction exists), the KLT (the
/// eigenvectors of the input's second-moment matrix E[xxᵀ] as columns), or the KLT followed by the randomized Hadamard
/// matrix (MambaQuant). X·Q is the rotated input; the weight takes Qᵀ.
/// </summary>
public static class RotationMatrices
{
    /// <summary>The matrix, its setting in words ("hadamard 192 = 12×16") and, for a fallback, a note saying so.</summary>
    /// <param name="kind">Which matrix.</param>
    /// <param name="n">Its order (the input's channels).</param>
    /// <param name="seed">Seed of the random signs (and of the fallback).</param>
    /// <param name="secondMoment">Σ xxᵀ of the input, [n×n] row-major (needed by the KLT kinds; scale does not matter).</param>
    public static (float[] Matrix, string Setting, string? Note) Build(RotationKind kind, int n, int seed, ReadOnlySpan<float> secondMoment = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (kind == RotationKind.None) throw new ArgumentException("No rotation asked for.", nameof(kind));
        double[]? klt = null;
        if (kind is RotationKind.Klt or RotationKind.KltHadamard)
        {
            if (secondMoment.Length != n * n) throw new ArgumentException($"The KLT of a {n}-channel input needs its {n}×{n} second-moment matrix.", nameof(secondMoment));
            var a = new double[n * n];
            for (int i = 0; i < a.Length; i++) a[i] = secondMoment[i];
            klt = SymmetricEigen.Decompose(a, n).Vectors;
            if (kind == RotationKind.Klt) return (ToFloat(klt), $"klt {n}", null);
        }
        var (hadamard, setting, note) = RandomizedHadamard(n, seed);
        if (klt is null) return (ToFloat(hadamard), setting, note);
        var product = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double v = klt[i * n + k];
                if (v == 0) continue;
                for (int j = 0; j < n; j++) product[i * n + j] += v * hadamard[k * n + j];
            }
        return (ToFloat(product), "klt+" + setting, note);
    }

    /// <summary>diag(s)·H/√n with seeded signs s; a seeded random orthogonal matrix where no Hadamard construction exists.</summary>
    public static (double[] Matrix, string Setting, string? Note) RandomizedHadamard(int n, int seed)
    {
        var random = new Random(unchecked(seed * 7919 + n));
        var h = HadamardMatrix.TryCreate(n);
        if (h is null)
            return (RandomOrthogonal.Create(n, random), $"random orthogonal {n}", $"d = {n}: no Hadamard construction, random orthogonal");
        HadamardMatrix.Supports(n, out var construction);
        double scale = 1 / Math.Sqrt(n);
        var q = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            double s = random.Next(2) == 0 ? scale : -scale;
            for (int j = 0; j < n; j++) q[i * n + j] = s * h[i * n + j];
        }
        return (q, $"hadamard {construction}", null);
    }

    /// <summary>
    /// H·Q for the Householder reflection H that maps Q·u back to u = 1/√n (the all-ones direction): an orthogonal
    /// matrix that keeps u (so it commutes with a LayerNorm's mean subtraction) and stays close to Q elsewhere.
    /// </summary>
    public static double[] KeepOnes(double[] q, int n)
    {
        ArgumentNullException.ThrowIfNull(q);
        double u = 1 / Math.Sqrt(n);
        var w = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            double qu = 0;
            for (int j = 0; j < n; j++) qu += q[i * n + j] * u;
            w[i] = qu - u;
            norm += w[i] * w[i];
        }
        if (norm < 1e-24) return (double[])q.Clone();
        norm = Math.Sqrt(norm);
        for (int i = 0; i < n; i++) w[i] /= norm;
        // H·Q = Q − 2·w·(wᵀQ)
        var wq = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) wq[j] += w[i] * q[i * n + j];
        var result = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) result[i * n + j] = q[i * n + j] - 2 * w[i] * wq[j];
        return result;
    }

    private static float[] ToFloat(double[] m)
    {
        var f = new float[m.Length];
        for (int i = 0; i < m.Length; i++) f[i] = (float)m[i];
        return f;
    }
}
