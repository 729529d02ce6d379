namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// FAIR-Pruner's tolerance of difference (ToD) between a removal signal and a protection signal over the units of one
/// layer: ToD(k) = |L_U(k) ∩ H_R(k)| / k, where L_U(k) are the k units with the lowest utilization score (the removal
/// candidates) and H_R(k) the k units with the highest reconstruction score (the units to protect). A layer may lose its
/// k lowest-utilization units while ToD(k) ≤ α: the deeper the two scores agree on what is unimportant, the more it
/// loses. This is the rule of the authors' reference code (the largest such k); ties in a score are ordered by index.
/// </summary>
public static class ToleranceOfDifference
{
    /// <summary>ToD(k) for k = 0 … n (ToD(0) = 0), in linear time after the two sorts.</summary>
    /// <exception cref="ArgumentException">The score lists differ in length or hold NaN.</exception>
    public static double[] Curve(IReadOnlyList<double> utilization, IReadOnlyList<double> reconstruction)
    {
        ArgumentNullException.ThrowIfNull(utilization);
        ArgumentNullException.ThrowIfNull(reconstruction);
        int n = utilization.Count;
        if (reconstruction.Count != n)
            throw new ArgumentException($"{n} utilization scores but {reconstruction.Count} reconstruction scores.", nameof(reconstruction));
        if (utilization.Any(double.IsNaN) || reconstruction.Any(double.IsNaN))
            throw new ArgumentException("Scores must not be NaN.", nameof(utilization));
        var removal = Enumerable.Range(0, n).OrderBy(u => utilization[u]).ThenBy(u => u).ToArray();
        var protection = Enumerable.Range(0, n).OrderByDescending(u => reconstruction[u]).ThenBy(u => u).ToArray();
        var removalRank = new int[n];
        var protectionRank = new int[n];
        for (int i = 0; i < n; i++)
        {
            removalRank[removal[i]] = i;
            protectionRank[protection[i]] = i;
        }
        var curve = new double[n + 1];
        int overlap = 0;
        for (int k = 1; k <= n; k++)
        {
            // L(k) gains a, H(k) gains b; each enters the intersection if the other set already holds it.
            int a = removal[k - 1], b = protection[k - 1];
            if (protectionRank[a] < k) overlap++;
            if (b != a && removalRank[b] < k) overlap++;
            curve[k] = (double)overlap / k;
        }
        return curve;
    }

    /// <summary>The largest k with ToD(k) ≤ <paramref name="alpha"/> on a <see cref="Curve"/>.</summary>
    public static int Count(IReadOnlyList<double> curve, double alpha)
    {
        ArgumentNullException.ThrowIfNull(curve);
        for (int k = curve.Count - 1; k > 0; k--)
            if (curve[k] <= alpha + 1e-12) return k;
        return 0;
    }

    /// <summary>The largest k with ToD(k) ≤ <paramref name="alpha"/> for the two scores.</summary>
    public static int Count(IReadOnlyList<double> utilization, IReadOnlyList<double> reconstruction, double alpha) =>
        Count(Curve(utilization, reconstruction), alpha);
}
