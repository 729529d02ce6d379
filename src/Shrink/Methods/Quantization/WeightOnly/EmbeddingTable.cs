using Shrink.Model;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// A constant float table that Gather nodes read along axis 0 (a token or position embedding): its initializer, its
/// [Rows × Cols] shape, the Gathers that read it, and the width it is to be quantized to.
/// </summary>
/// <param name="TableName">The initializer.</param>
/// <param name="Rows">Rows (the vocabulary).</param>
/// <param name="Cols">Values per row (the hidden size), the axis the blocks run along.</param>
/// <param name="Gathers">The Gather nodes that read it, in graph order.</param>
/// <param name="Bits">The width: 4 or 8.</param>
/// <param name="BlockSize">GatherBlockQuantized's block along a row.</param>
public sealed record EmbeddingTable(string TableName, int Rows, int Cols, IReadOnlyList<Node> Gathers, int Bits, int BlockSize)
{
    /// <summary>Values in the table.</summary>
    public long Elements => (long)Rows * Cols;

    /// <summary>Bytes of the float table.</summary>
    public long FloatBytes => Elements * sizeof(float);

    /// <summary>Blocks per row.</summary>
    public int BlocksPerRow => (Cols + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Bytes GatherBlockQuantized stores for it: packed codes, a float scale per block and, when asymmetric, the zero
    /// points packed like the codes.
    /// </summary>
    public long QuantizedBytes(bool symmetric) =>
        (long)Rows * (Cols * Bits / 8) + (long)Rows * BlocksPerRow * sizeof(float) + (symmetric ? 0 : (long)Rows * ((BlocksPerRow * Bits + 7) / 8));
}
