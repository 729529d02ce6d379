namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// The mean of clip(x, a, b) for x ~ N(μ, σ²), the expected activation after a BatchNormalization (β = μ, |γ| = σ) and
/// a ReLU (a = 0) or ReLU6 (a = 0, b = 6), as in Nagel et al. 2019 (analytic bias correction):
/// E = a·Φ(α) + b·(1 − Φ(β)) + μ·(Φ(β) − Φ(α)) + σ·(φ(α) − φ(β)), α = (a − μ)/σ, β = (b − μ)/σ.
/// </summary>
public static class ClippedNormal
{
    /// <summary>E[clip(x, <paramref name="lo"/>, <paramref name="hi"/>)] for x ~ N(<paramref name="mean"/>, <paramref name="sigma"/>²); infinite bounds allowed.</summary>
    public static double Mean(double mean, double sigma, double lo, double hi)
    {
        sigma = Math.Abs(sigma);
        if (sigma == 0 || !double.IsFinite(sigma)) return Math.Clamp(mean, lo, hi);
        double a = (lo - mean) / sigma, b = (hi - mean) / sigma;
        double cdfA = double.IsNegativeInfinity(lo) ? 0 : Cdf(a), cdfB = double.IsPositiveInfinity(hi) ? 1 : Cdf(b);
        double pdfA = double.IsNegativeInfinity(lo) ? 0 : Pdf(a), pdfB = double.IsPositiveInfinity(hi) ? 0 : Pdf(b);
        double e = mean * (cdfB - cdfA) + sigma * (pdfA - pdfB);
        if (!double.IsNegativeInfinity(lo)) e += lo * cdfA;
        if (!double.IsPositiveInfinity(hi)) e += hi * (1 - cdfB);
        return e;
    }

    /// <summary>The standard normal density.</summary>
    public static double Pdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>The standard normal distribution function, Φ(x) = erfc(−x/√2)/2.</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    // erfc with relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit).
    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
