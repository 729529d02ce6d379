namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// Per-layer pruning rates from the PQ Index (Diao et al., "Pruning Deep Neural Networks from a Sparsity
/// Perspective", 2023): I(w) = 1 − d^(1/q − 1/p)·‖w‖_p/‖w‖_q with 0 &lt; p &lt; q, which is 0 for a flat weight vector and
/// approaches 1 as its mass concentrates on few entries. Their sparsity-informed adaptive pruning keeps
/// r = d·(1 + η)^(−q/(q−p))·(1 − I)^(qp/(q−p)) weights of a layer: layers that are already "sparse" keep fewer. Here η is
/// solved by bisection so that the kept weights over all layers meet the requested overall sparsity (one shot, no
/// fine-tuning between rounds). The index is scale-invariant, so BatchNormalization folded into a layer's weights does
/// not move its rate (a global magnitude threshold does).
/// </summary>
public static class PqIndexSchedule
{
    /// <summary>The PQ Index of <paramref name="w"/>, in [0, 1).</summary>
    public static double Index(ReadOnlySpan<float> w, double p = 0.5, double q = 1.0)
    {
        if (!(p > 0 && p < q)) throw new ArgumentOutOfRangeException(nameof(p), "the PQ Index needs 0 < p < q.");
        double sp = 0, sq = 0;
        foreach (float v in w)
        {
            double a = Math.Abs(v);
            sp += Math.Pow(a, p);
            sq += Math.Pow(a, q);
        }
        if (sq == 0 || w.Length == 0) return 0;
        double normP = Math.Pow(sp, 1 / p), normQ = Math.Pow(sq, 1 / q);
        return 1 - Math.Pow(w.Length, 1 / q - 1 / p) * normP / normQ;
    }

    /// <summary>
    /// Weights to zero per layer so that <paramref name="sparsity"/> of all weights go, spread by the PQ Index; no layer
    /// loses more than <paramref name="maxLayerSparsity"/> of its weights.
    /// </summary>
    public static long[] ZerosPerLayer(IReadOnlyList<float[]> weights, double sparsity, double maxLayerSparsity = 0.98, double p = 0.5, double q = 1.0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        long total = weights.Sum(w => w.LongLength);
        long keepTotal = total - (long)Math.Round(sparsity * total);
        double exponent = q * p / (q - p);
        var density = weights.Select(w => Math.Pow(1 - Index(w, p, q), exponent)).ToArray();
        double Kept(double scale) => weights.Select((w, i) => Clamp(scale * density[i], maxLayerSparsity) * w.LongLength).Sum();
        // Kept(scale) grows with scale; (1 + η)^(−q/(q−p)) is that scale.
        double lo = 0, hi = 1;
        while (Kept(hi) < keepTotal && hi < 1e12) hi *= 2;
        for (int it = 0; it < 100; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (Kept(mid) < keepTotal) lo = mid; else hi = mid;
        }
        return weights.Select((w, i) => w.LongLength - (long)Math.Round(Clamp(hi * density[i], maxLayerSparsity) * w.LongLength)).ToArray();
    }

    private static double Clamp(double keep, double maxLayerSparsity) => Math.Clamp(keep, 1 - maxLayerSparsity, 1);
}
