namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>One Gather table written as GatherBlockQuantized.</summary>
/// <param name="Table">The table's initializer name in the input model.</param>
/// <param name="Gathers">The display names of the Gather nodes that read it.</param>
/// <param name="Rows">Rows (the vocabulary).</param>
/// <param name="Cols">Values per row.</param>
/// <param name="Bits">Code width: 4 or 8.</param>
/// <param name="BlockSize">Values per scale along a row.</param>
/// <param name="FloatBytes">Bytes of the float table.</param>
/// <param name="Bytes">Bytes stored for it now: codes, scales, zero points.</param>
/// <param name="MaxAbsError">The largest |w − ŵ| over the table.</param>
public sealed record EmbeddingResult(string Table, IReadOnlyList<string> Gathers, int Rows, int Cols, int Bits, int BlockSize, long FloatBytes, long Bytes, double MaxAbsError)
{
    /// <summary>How it was written, for reports.</summary>
    public string Format => $"GatherBlockQuantized {Bits}-bit, block {BlockSize}";
}
