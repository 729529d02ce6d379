namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// What one transform did at one place: the node (or pair), the activation range before and after (max |x| over the
/// calibration data, and the ratio of the largest channel's max to the median channel's), its setting there, and, where it
/// did nothing, why.
/// </summary>
/// <param name="Node">The node (or "A → B" pair) the row is about.</param>
/// <param name="Tensor">The activation whose range is reported (empty where none).</param>
/// <param name="MaxBefore">max |x| before (NaN: not measured).</param>
/// <param name="MaxAfter">max |x| after (NaN: not measured).</param>
/// <param name="OutlierRatioBefore">Largest channel max over the median channel max, before (NaN: not measured).</param>
/// <param name="OutlierRatioAfter">The same after (NaN: not measured).</param>
/// <param name="Setting">The transform's setting here in words (α 0.6; hadamard 192 = 12×16; scales 0.3..4.1).</param>
/// <param name="Skipped">Why nothing was done here; null where the rewrite applied.</param>
public sealed record EquivalenceLayer(string Node, string Tensor, double MaxBefore, double MaxAfter, double OutlierRatioBefore, double OutlierRatioAfter, string Setting, string? Skipped = null)
{
    /// <summary>Whether the rewrite applied here.</summary>
    public bool Applied => Skipped is null;

    /// <summary>
    /// The outlier ratio every transform reports: the largest channel value (max |x|, or a weight row's range) over the
    /// median channel's (the mean of the two middle ones for an even count); NaN where there are none or the median is 0.
    /// </summary>
    public static double OutlierRatio(ReadOnlySpan<double> channelMax)
    {
        if (channelMax.Length == 0) return double.NaN;
        var sorted = channelMax.ToArray();
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return median > 0 ? sorted[^1] / median : double.NaN;
    }

    /// <summary><see cref="OutlierRatio(ReadOnlySpan{double})"/> of single-precision channel values.</summary>
    public static double OutlierRatio(ReadOnlySpan<float> channelMax)
    {
        var values = new double[channelMax.Length];
        for (int i = 0; i < values.Length; i++) values[i] = channelMax[i];
        return OutlierRatio(values);
    }
}
