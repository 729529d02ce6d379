namespace Shrink.Training.Quantization;

/// <summary>
/// One MatMulNBits layer of a weight-only QAT model and where its values go in the PTQ model on export.
/// </summary>
/// <param name="Node">The MatMulNBits node's name in the PTQ model (its display name when unnamed).</param>
/// <param name="Weight">The float weight parameter, [K, N] (MatMul's layout).</param>
/// <param name="Scale">The float scale parameter, [blocks · N], block-major (one per block of a column).</param>
/// <param name="Bias">The float bias parameter (the PTQ model's bias initializer), or null.</param>
/// <param name="Codes">The PTQ model's packed codes (input B, uint8 [N, blocks, block · bits / 8]).</param>
/// <param name="Scales">The PTQ model's scales initializer (input 2).</param>
/// <param name="K">Rows of the weight (the reduction length).</param>
/// <param name="N">Columns of the weight (output features).</param>
/// <param name="Block">Codes per block along K.</param>
/// <param name="ContainerBits">Bits of each stored code (the node's <c>bits</c>).</param>
/// <param name="ZeroPoints">The zero point of each block, [N · blocks] row-major (fixed).</param>
/// <param name="LevelMin">The lowest level code − zero point of the grid, per block as <paramref name="ZeroPoints"/>.</param>
/// <param name="LevelMax">The highest level, per block.</param>
internal sealed record BlockWeightLink(string Node, string Weight, string Scale, string? Bias, string Codes, string Scales, int K, int N, int Block, int ContainerBits,
    byte[] ZeroPoints, int[] LevelMin, int[] LevelMax)
{
    /// <summary>Blocks along K.</summary>
    public int Blocks => (K + Block - 1) / Block;
}
