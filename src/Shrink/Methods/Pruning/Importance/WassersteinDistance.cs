namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// The Wasserstein-1 (earth mover's) distance between two one-dimensional empirical distributions, each sample
/// weighing 1/n of its set: W₁ = ∫ |F(x) − G(x)| dx over the two empirical CDFs. The sets may differ in size.
/// </summary>
public static class WassersteinDistance
{
    /// <summary>W₁ between the samples <paramref name="a"/> and <paramref name="b"/> (neither is modified).</summary>
    /// <exception cref="ArgumentException">A set is empty or holds NaN.</exception>
    public static double Between(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sortedA = a.ToArray();
        var sortedB = b.ToArray();
        Array.Sort(sortedA);
        Array.Sort(sortedB);
        return BetweenSorted(sortedA, sortedB);
    }

    /// <summary>W₁ between two sets already sorted in ascending order (a merge of the two, linear time).</summary>
    /// <exception cref="ArgumentException">A set is empty or holds NaN.</exception>
    public static double BetweenSorted(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.IsEmpty || b.IsEmpty) throw new ArgumentException("The Wasserstein distance needs at least one sample in each set.");
        if (double.IsNaN(a[0]) || double.IsNaN(b[0]) || double.IsNaN(a[^1]) || double.IsNaN(b[^1]))
            throw new ArgumentException("The Wasserstein distance is undefined for NaN samples.");
        double stepA = 1.0 / a.Length, stepB = 1.0 / b.Length;
        int i = 0, j = 0;
        double cdfA = 0, cdfB = 0, total = 0;
        double previous = Math.Min(a[0], b[0]);
        while (i < a.Length || j < b.Length)
        {
            double x = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            total += Math.Abs(cdfA - cdfB) * (x - previous);
            while (i < a.Length && a[i] == x)
            {
                cdfA += stepA;
                i++;
            }
            while (j < b.Length && b[j] == x)
            {
                cdfB += stepB;
                j++;
            }
            previous = x;
        }
        return total;
    }
}
