namespace Shrink.Numerics;

/// <summary>The Cholesky factor of the inverse of a dampened symmetric positive semi-definite matrix (a layer's Hessian).</summary>
public static class CholeskyInverse
{
    /// <summary>
    /// The upper-triangular U with (H + λI)⁻¹ = UᵀU, λ = <paramref name="damp"/> × mean diagonal (raised tenfold while the
    /// matrix is not numerically positive definite). Computed as P·L⁻¹·P with L the Cholesky factor of P(H + λI)P and
    /// P the reversal permutation: one factorization and one triangular inverse instead of two factorizations and an
    /// inverse. <paramref name="h"/> is not modified.
    /// </summary>
    public static float[] Upper(float[] h, int n, double damp)
    {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[(long)i * n + i];
        mean = Math.Max(mean / n, 1e-12);
        var l = new float[(long)n * n];
        for (double lambda = Math.Max(damp, 0) * mean; ; lambda = Math.Max(lambda * 10, 1e-6 * mean))
        {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) l[(long)i * n + j] = h[(long)(n - 1 - i) * n + (n - 1 - j)];
            for (int i = 0; i < n; i++) l[(long)i * n + i] += (float)lambda;
            if (DenseMatrix.TryCholesky(l, n)) break;
            if (lambda > 1e6 * mean) throw new ShrinkException("GPTQ: the layer's Hessian is not positive definite even with strong dampening (NaN or Inf inputs?).");
        }
        DenseMatrix.InvertLowerTriangular(l, n);
        var u = new float[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) u[(long)i * n + j] = l[(long)(n - 1 - i) * n + (n - 1 - j)];
        return u;
    }
}
