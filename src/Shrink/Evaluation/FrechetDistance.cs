using Shrink.Numerics;

namespace Shrink.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature sets (FID's formula, on whatever features the caller
/// chooses): ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½, all in double. The matrix square roots come from
/// symmetric eigendecompositions (<see cref="SymmetricEigen"/>), with eigenvalues rounded below zero set to zero, as in
/// the PyTorch baselines' <c>frechet()</c>.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The distance between the Gaussians of <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    /// <exception cref="InvalidOperationException">A side has fewer than two vectors.</exception>
    public static double Compute(FeatureMoments a, FeatureMoments b)
    {
        if (a.Dimension != b.Dimension)
            throw new ArgumentException($"Features of {a.Dimension} and {b.Dimension} dimensions cannot be compared.", nameof(b));
        return Compute(a.Mean(), a.Covariance(), b.Mean(), b.Covariance());
    }

    /// <summary>The distance between N(<paramref name="mean1"/>, <paramref name="cov1"/>) and N(<paramref name="mean2"/>, <paramref name="cov2"/>); covariances row-major [d, d].</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public static double Compute(ReadOnlySpan<double> mean1, ReadOnlySpan<double> cov1, ReadOnlySpan<double> mean2, ReadOnlySpan<double> cov2)
    {
        int d = mean1.Length;
        if (mean2.Length != d || cov1.Length != d * d || cov2.Length != d * d)
            throw new ArgumentException($"Means of {d} values need {d}×{d} covariances on both sides.");
        double distance = 0;
        for (int i = 0; i < d; i++)
        {
            double diff = mean1[i] - mean2[i];
            distance += diff * diff + cov1[i * d + i] + cov2[i * d + i];
        }
        return distance - 2 * TraceSqrtProduct(cov1, cov2, d);
    }

    /// <summary>tr (Σ₁^½ Σ₂ Σ₁^½)^½: the sum of the square roots of the eigenvalues of Σ₁^½ Σ₂ Σ₁^½.</summary>
    public static double TraceSqrtProduct(ReadOnlySpan<double> cov1, ReadOnlySpan<double> cov2, int d)
    {
        var root = SquareRoot(cov1, d);
        var product = Multiply(Multiply(root, cov2, d), root, d);
        var (values, _) = SymmetricEigen.Decompose(Symmetrize(product, d), d);
        return values.Sum(v => Math.Sqrt(Math.Max(v, 0)));
    }

    /// <summary>The symmetric square root V diag(√max(λ, 0)) Vᵀ of a symmetric positive semi-definite matrix.</summary>
    public static double[] SquareRoot(ReadOnlySpan<double> a, int d)
    {
        var (values, vectors) = SymmetricEigen.Decompose(a, d);
        var root = new double[d * d];
        for (int k = 0; k < d; k++)
        {
            double s = Math.Sqrt(Math.Max(values[k], 0));
            if (s == 0) continue;
            for (int i = 0; i < d; i++)
            {
                double vik = vectors[i * d + k] * s;
                for (int j = 0; j < d; j++) root[i * d + j] += vik * vectors[j * d + k];
            }
        }
        return root;
    }

    private static double[] Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int d)
    {
        var c = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double aik = a[i * d + k];
                if (aik == 0) continue;
                for (int j = 0; j < d; j++) c[i * d + j] += aik * b[k * d + j];
            }
        return c;
    }

    private static double[] Symmetrize(double[] a, int d)
    {
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
                a[i * d + j] = a[j * d + i] = 0.5 * (a[i * d + j] + a[j * d + i]);
        return a;
    }
}
