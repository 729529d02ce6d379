using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>Per-tensor affine quantization parameters: q = saturate(round(x / Scale) + ZeroPoint) in <see cref="Type"/>.</summary>
/// <param name="Scale">The step between quantized levels; always positive and finite.</param>
/// <param name="ZeroPoint">The quantized value that represents 0.</param>
/// <param name="Type">UInt8 or Int8.</param>
public sealed record QuantParams(float Scale, int ZeroPoint, ElementType Type)
{
    /// <summary>The smallest representable quantized value.</summary>
    public int QMin => Type == ElementType.UInt8 ? 0 : -128;

    /// <summary>The largest representable quantized value.</summary>
    public int QMax => Type == ElementType.UInt8 ? 255 : 127;

    /// <summary>The float range these parameters cover.</summary>
    public (float Min, float Max) Range => ((QMin - ZeroPoint) * Scale, (QMax - ZeroPoint) * Scale);
}
