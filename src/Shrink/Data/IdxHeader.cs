using System.Buffers.Binary;

namespace Shrink.Data;

/// <summary>Reads IDX headers (the MNIST family): magic 0x0000TTNN (type TT, NN dims), then NN big-endian uint32 dims.</summary>
internal static class IdxHeader
{
    private const byte UInt8Code = 0x08;

    /// <summary>True when <paramref name="prefix"/> (the first bytes after gzip) looks like IDX.</summary>
    public static bool Matches(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= 4 && prefix[0] == 0 && prefix[1] == 0 && prefix[2] is >= 0x08 and <= 0x0E && prefix[3] is >= 1 and <= 4;

    public static ArrayFile Read(string path)
    {
        using var stream = DataFile.OpenRead(path, out bool gzip);
        Span<byte> head = stackalloc byte[4 + 4 * 4];
        if (DataFile.ReadUpTo(stream, head[..4], path) < 4)
            throw new ShrinkException($"{path}: too short to be an IDX file.");
        if (!Matches(head))
            throw new ShrinkException($"{path}: not an IDX file (magic 0x{BinaryPrimitives.ReadUInt32BigEndian(head):X8}; expected 0x00000801, 0x00000803 or 0x00000804).");
        if (head[2] != UInt8Code)
            throw new ShrinkException($"{path}: IDX element type 0x{head[2]:X2} is not supported; only uint8 (0x08) is.");
        int rank = head[3];
        var dims = head.Slice(4, 4 * rank);
        if (DataFile.ReadUpTo(stream, dims, path) < dims.Length)
            throw new ShrinkException($"{path}: the IDX header is truncated.");
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
            shape[i] = BinaryPrimitives.ReadUInt32BigEndian(dims[(4 * i)..]);
        return ArrayFile.Create(path, RawType.UInt8, shape, 4 + dims.Length, gzip);
    }
}
