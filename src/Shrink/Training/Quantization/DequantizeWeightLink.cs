using Shrink.Model;

namespace Shrink.Training.Quantization;

/// <summary>
/// One weight-only layer whose weight the PTQ model dequantizes with a DequantizeLinear (Conv weights, MatMul/Gemm groups
/// MatMulNBits cannot carry) and where its values go on export. The codes are laid out as
/// [<see cref="Outer"/>, <see cref="Length"/>, <see cref="Inner"/>] around the quantization axis; the scale of element
/// (o, p, i) is <see cref="ScaleIndex"/>: <c>(o · ScaleLength + p / Step) · Inner + i</c> for blocks (the scales have
/// the codes' dims with the axis cut to blocks), <c>p / Step</c> per channel or per tensor (one scale per position).
/// </summary>
/// <param name="Node">The layer reading the weight (its name, or display name when unnamed).</param>
/// <param name="Weight">The float weight parameter, with the codes' dims.</param>
/// <param name="Scale">The float scale parameter, with the PTQ scales' dims.</param>
/// <param name="Codes">The PTQ model's codes initializer (int4, uint4, int8 or uint8).</param>
/// <param name="Scales">The PTQ model's scales initializer.</param>
/// <param name="Type">The codes' element type: signed types hold levels (symmetric grids), unsigned ones codes with zero points.</param>
/// <param name="Dims">The codes' dims.</param>
/// <param name="Axis">The quantization axis (0 for a per-tensor scale).</param>
/// <param name="Outer">Elements before the axis (their product).</param>
/// <param name="Length">Elements along the axis.</param>
/// <param name="Inner">Elements after the axis (their product).</param>
/// <param name="ScaleLength">Scales along the axis: 1 (per tensor), <paramref name="Length"/> (per channel) or the blocks.</param>
/// <param name="Step">Elements along the axis one scale serves: <paramref name="Length"/> (per tensor), 1 (per channel) or the block size.</param>
/// <param name="Blocked">Whether the DequantizeLinear has a block_size (scales of the codes' rank).</param>
/// <param name="ZeroPoints">The zero point of each scale (0 for signed codes), in the scales' order (fixed).</param>
/// <param name="LevelMin">The lowest level (code − zero point) of the grid, per scale.</param>
/// <param name="LevelMax">The highest level, per scale.</param>
internal sealed record DequantizeWeightLink(string Node, string Weight, string Scale, string Codes, string Scales, ElementType Type, long[] Dims, int Axis,
    long Outer, long Length, long Inner, long ScaleLength, long Step, bool Blocked, int[] ZeroPoints, int[] LevelMin, int[] LevelMax)
{
    /// <summary>Whether the codes are 4-bit (two to a byte).</summary>
    public bool Packed => Type is ElementType.Int4 or ElementType.UInt4;

    /// <summary>Whether the codes are signed levels (a symmetric grid, no zero point stored).</summary>
    public bool Signed => Type is ElementType.Int4 or ElementType.Int8;

    /// <summary>Elements of the weight.</summary>
    public long Count => Outer * Length * Inner;

    /// <summary>The index of the scale of element (<paramref name="outer"/>, <paramref name="position"/>, <paramref name="inner"/>).</summary>
    public int ScaleIndex(long outer, long position, long inner) =>
        (int)(Blocked ? (outer * ScaleLength + position / Step) * Inner + inner : position / Step);

}
