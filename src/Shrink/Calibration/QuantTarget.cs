namespace Shrink.Calibration;

/// <summary>The integer grid a range will be mapped onto: levels QMin..QMax, symmetric (zero point in the middle) or not.</summary>
/// <param name="QMin">Smallest level.</param>
/// <param name="QMax">Largest level.</param>
/// <param name="Symmetric">Whether the range is centred on zero.</param>
public readonly record struct QuantTarget(int QMin, int QMax, bool Symmetric)
{
    /// <summary>uint8, asymmetric (0..255): the default for activations.</summary>
    public static QuantTarget UInt8Asymmetric => new(0, 255, false);

    /// <summary>int8, symmetric (−128..127, zero point 0).</summary>
    public static QuantTarget Int8Symmetric => new(-128, 127, true);

    /// <summary>int8, asymmetric (−128..127).</summary>
    public static QuantTarget Int8Asymmetric => new(-128, 127, false);

    /// <summary>Number of steps between the extreme levels.</summary>
    public int Steps => QMax - QMin;
}
