namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// One magnitude threshold over several layers: the <c>k</c> smallest |w| of all their weights together (ties: earlier
/// layer, then lower index), returned as the count each layer contributes. This is the per-layer split that PyTorch's
/// <c>prune.global_unstructured</c> with L1 makes.
/// </summary>
public static class GlobalMagnitudeRanking
{
    /// <summary>Zeros per layer when the <paramref name="zeros"/> smallest magnitudes over all <paramref name="weights"/> go.</summary>
    public static long[] ZerosPerLayer(IReadOnlyList<float[]> weights, long zeros)
    {
        ArgumentNullException.ThrowIfNull(weights);
        long total = weights.Sum(w => (long)w.Length);
        if (total > Array.MaxLength) throw new ShrinkException($"Global magnitude ranking over {total} weights is not supported; use the per-layer scope.");
        var magnitudes = new float[total];
        var layerOf = new int[total];
        int at = 0;
        for (int l = 0; l < weights.Count; l++)
        {
            foreach (float w in weights[l])
            {
                magnitudes[at] = Math.Abs(w);
                layerOf[at++] = l;
            }
        }
        // Array.Sort is not stable; the position is the tie-break so equal magnitudes go in layer order.
        var order = new int[total];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(magnitudes, order);
        var counts = new long[weights.Count];
        long take = Math.Clamp(zeros, 0, total);
        if (take == 0) return counts;
        // Everything strictly below the cut's magnitude goes; among values equal to it, the lowest positions.
        float cut = magnitudes[take - 1];
        long below = 0;
        for (long i = 0; i < take && magnitudes[i] < cut; i++)
        {
            counts[layerOf[order[i]]]++;
            below++;
        }
        var ties = new List<int>();
        for (long i = below; i < total && magnitudes[i] == cut; i++) ties.Add(order[i]);
        ties.Sort();
        for (int i = 0; i < take - below; i++) counts[layerOf[ties[i]]]++;
        return counts;
    }
}
