namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>How the size of a layer's quantized weight is counted.</summary>
public enum SizeAccounting
{
    /// <summary>
    /// The bytes the exporter really writes: codes in their container width (3-bit codes in 4-bit containers, 2-bit Conv
    /// codes in int4) plus the float scales (and zero points). 3 bits then cost as much as 4 and never win.
    /// </summary>
    Stored,

    /// <summary>
    /// The bits the codes carry: b bits per weight plus a float32 scale per group (and a b-bit zero point when
    /// asymmetric), as a packed format would store them; what HAWQ-style budgets such as "the size of uniform 3-bit"
    /// count.
    /// </summary>
    Nominal,
}
