using CsCheck;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Tests.Properties;

/// <summary>Property-based checks (CsCheck, fixed seeds) of the low-bit code packing in <see cref="NBitsPacking"/>.</summary>
public class NBitsPackingProperties
{
    private static readonly Gen<int> Bits = Gen.OneOf(1, 2, 4, 8);

    /// <summary>Random codes of the given width, for a random tensor shape (rows × columns, so odd element counts occur).</summary>
    private static readonly Gen<(int Bits, int Rows, int Columns, byte[] Codes)> Codes =
        Gen.Select(Bits, Gen.Int[0, 9], Gen.Int[0, 37]).SelectMany((bits, rows, columns) =>
            Gen.Int[0, (1 << bits) - 1].Array[rows * columns].Select(c => (bits, rows, columns, c.Select(v => (byte)v).ToArray())));

    [Fact]
    public void PackThenUnpackIsTheIdentity()
    {
        Codes.Sample(t =>
        {
            var packed = NBitsPacking.Pack(t.Codes, t.Bits);
            Assert.Equal((t.Codes.Length * t.Bits + 7) / 8, packed.Length);
            Assert.Equal(t.Codes, NBitsPacking.Unpack(packed, t.Bits, t.Codes.Length));
        }, seed: "0N0XIzNsQ0P1", iter: 2000);
    }

    [Fact]
    public void PackingRowByRowIntoADirtyBufferMatchesPackingEachRow()
    {
        // MatMulNBits stores each row's blocks separately: packing into a reused (dirty) buffer must clear it first.
        Codes.Sample(t =>
        {
            int rowBytes = (t.Columns * t.Bits + 7) / 8;
            var buffer = new byte[rowBytes];
            for (int r = 0; r < t.Rows; r++)
            {
                Array.Fill(buffer, (byte)0xA5);
                var row = t.Codes.AsSpan(r * t.Columns, t.Columns);
                NBitsPacking.Pack(row, t.Bits, buffer);
                Assert.Equal(NBitsPacking.Pack(row, t.Bits), buffer);
                Assert.Equal(row.ToArray(), NBitsPacking.Unpack(buffer, t.Bits, t.Columns));
            }
        }, seed: "0N0XIzNsQ0P2", iter: 1000);
    }

    [Fact]
    public void SignedPackThenUnpackIsTheIdentity()
    {
        Gen.OneOf(2, 4, 8).SelectMany(bits =>
                Gen.Int[-(1 << (bits - 1)), (1 << (bits - 1)) - 1].Array[0, 200].Select(v => (bits, v.Select(x => (sbyte)x).ToArray())))
            .Sample((bits, values) =>
            {
                var packed = NBitsPacking.PackSigned(values, bits);
                Assert.Equal((values.Length * bits + 7) / 8, packed.Length);
                Assert.Equal(values, NBitsPacking.UnpackSigned(packed, bits, values.Length));
            }, seed: "0N0XIzNsQ0P3", iter: 2000);
    }

    [Fact]
    public void ElementIOfAByteSitsAtBitITimesBits()
    {
        // The layout ONNX INT4/UINT4 and MatMulNBits read: low bits first.
        Codes.Sample(t =>
        {
            var packed = NBitsPacking.Pack(t.Codes, t.Bits);
            int perByte = 8 / t.Bits;
            for (int i = 0; i < t.Codes.Length; i++)
                Assert.Equal(t.Codes[i], (packed[i / perByte] >> (i % perByte * t.Bits)) & ((1 << t.Bits) - 1));
        }, seed: "0N0XIzNsQ0P4", iter: 1000);
    }
}
