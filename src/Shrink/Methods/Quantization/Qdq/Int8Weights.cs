namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// The weights <see cref="QdqInserter"/> writes, dequantized, on a [Rows × Cols] matrix (rows are output channels):
/// <see cref="QuantMath"/>'s symmetric grid (−127..127 at 8 bits), one scale per row or per tensor, q·scale as DequantizeLinear
/// computes it. Bias correction uses it to know the error it corrects.
/// </summary>
public static class Int8Weights
{
    /// <summary>q·scale for every weight of the row-major [<paramref name="rows"/> × <paramref name="cols"/>] matrix <paramref name="w"/>, on the <paramref name="bits"/>-bit grid.</summary>
    public static float[] Dequantized(float[] w, int rows, int cols, bool perChannel, int bits = 8)
    {
        ArgumentNullException.ThrowIfNull(w);
        var q = new sbyte[w.Length];
        float[] scales = perChannel ? QuantMath.QuantizeWeightsPerChannel(w, [rows, cols], 0, q, bits) : [QuantMath.QuantizeWeightsPerTensor(w, q, bits)];
        var result = new float[w.Length];
        for (int r = 0; r < rows; r++)
        {
            float scale = scales[perChannel ? r : 0];
            for (int c = 0; c < cols; c++) result[(long)r * cols + c] = q[(long)r * cols + c] * scale;
        }
        return result;
    }
}
