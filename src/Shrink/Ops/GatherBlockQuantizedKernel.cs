namespace Shrink.Ops;

/// <summary>
/// What ONNX Runtime's CPU kernel of com.microsoft GatherBlockQuantized (opset 1) accepts, in the form Shrink writes:
/// uint8 data holding packed codes (two 4-bit codes per byte, low nibble first, or one 8-bit code), gathered along axis 0
/// and quantized in blocks along the last axis; float scales shaped like the data with the last axis counted in blocks;
/// optional uint8 zero points packed like the codes (without them the kernel uses 2^(bits−1), a symmetric grid).
/// </summary>
public static class GatherBlockQuantizedKernel
{
    /// <summary>Code widths the uint8 form takes through its <c>bits</c> attribute (newer releases add 2).</summary>
    public static IReadOnlySet<int> Widths { get; } = new HashSet<int> { 4, 8 };

    /// <summary>The smallest block; blocks are powers of two.</summary>
    public const int MinBlockSize = 16;

    /// <summary>The only gather axis the uint8 form takes.</summary>
    public const int GatherAxis = 0;

    /// <summary>Input index of the data (the table).</summary>
    public const int DataInput = 0;

    /// <summary>Input index of the indices.</summary>
    public const int IndicesInput = 1;

    /// <summary>Whether <paramref name="blockSize"/> is a block the kernel takes: a power of two of at least 16.</summary>
    public static bool IsValidBlock(int blockSize) => blockSize >= MinBlockSize && (blockSize & (blockSize - 1)) == 0;

    /// <summary>
    /// The block for groups of <paramref name="groupSize"/> values along a row of <paramref name="rowLength"/> (0, or a
    /// group as long as the row: one scale per row, written as the smallest valid block that covers it); null when the
    /// kernel cannot carry such groups.
    /// </summary>
    public static int? BlockFor(int groupSize, int rowLength)
    {
        if (groupSize <= 0 || groupSize >= rowLength)
        {
            int block = MinBlockSize;
            while (block < rowLength) block <<= 1;
            return block;
        }
        return IsValidBlock(groupSize) ? groupSize : null;
    }
}
