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
}
