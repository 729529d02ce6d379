namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Bit packing of low-bit codes, low bits first: element i of a byte holding 8/bits elements sits at bit i·bits, as
/// ONNX's INT4/UINT4 tensors and ONNX Runtime's MatMulNBits store them.
/// </summary>
public static class NBitsPacking
{
    /// <summary>Packs unsigned <paramref name="bits"/>-bit codes (2, 4 or 8) into ⌈n·bits/8⌉ bytes.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> codes, int bits)
    {
        CheckBits(bits);
        var packed = new byte[(codes.Length * bits + 7) / 8];
        Pack(codes, bits, packed);
        return packed;
    }

    /// <summary>Packs <paramref name="codes"/> into <paramref name="destination"/>, which is first cleared.</summary>
    public static void Pack(ReadOnlySpan<byte> codes, int bits, Span<byte> destination)
    {
        CheckBits(bits);
        if (bits == 8)
        {
            codes.CopyTo(destination);
            return;
        }
        int perByte = 8 / bits, mask = (1 << bits) - 1;
        destination[..((codes.Length * bits + 7) / 8)].Clear();
        for (int i = 0; i < codes.Length; i++)
            destination[i / perByte] |= (byte)((codes[i] & mask) << (i % perByte * bits));
    }

    /// <summary>Unpacks <paramref name="count"/> unsigned codes.</summary>
    public static byte[] Unpack(ReadOnlySpan<byte> packed, int bits, int count)
    {
        CheckBits(bits);
        var codes = new byte[count];
        if (bits == 8)
        {
            packed[..count].CopyTo(codes);
            return codes;
        }
        int perByte = 8 / bits, mask = (1 << bits) - 1;
        for (int i = 0; i < count; i++) codes[i] = (byte)((packed[i / perByte] >> (i % perByte * bits)) & mask);
        return codes;
    }

    /// <summary>Signed values (two's complement in <paramref name="bits"/> bits) packed for an ONNX INT4-style tensor.</summary>
    public static byte[] PackSigned(ReadOnlySpan<sbyte> values, int bits)
    {
        var codes = new byte[values.Length];
        int mask = (1 << bits) - 1;
        for (int i = 0; i < values.Length; i++) codes[i] = (byte)(values[i] & mask);
        return Pack(codes, bits);
    }

    /// <summary>Unpacks signed values packed by <see cref="PackSigned"/>.</summary>
    public static sbyte[] UnpackSigned(ReadOnlySpan<byte> packed, int bits, int count)
    {
        var codes = Unpack(packed, bits, count);
        var values = new sbyte[count];
        int sign = 1 << (bits - 1);
        for (int i = 0; i < count; i++) values[i] = (sbyte)(codes[i] >= sign ? codes[i] - (1 << bits) : codes[i]);
        return values;
    }

    private static void CheckBits(int bits)
    {
        if (bits is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Packing supports 1, 2, 4 and 8 bits (3-bit codes travel in 4-bit containers).");
    }
}
