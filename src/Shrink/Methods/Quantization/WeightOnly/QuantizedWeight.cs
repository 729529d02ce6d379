namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// A weight matrix rounded to a low-bit grid, as plain decisions for the exporter: one unsigned code per element
/// (row-major [Rows × Cols], rows are output channels, columns the reduction axis), and one scale and zero point per
/// row and group of <see cref="GroupSize"/> consecutive columns (the last group may be shorter).
/// </summary>
public sealed class QuantizedWeight
{
    /// <summary>Creates an empty quantized weight to fill.</summary>
    public QuantizedWeight(int rows, int cols, int groupSize, WeightGrid grid)
    {
        if (groupSize <= 0 || groupSize > cols) groupSize = cols;
        Rows = rows;
        Cols = cols;
        GroupSize = groupSize;
        Grid = grid;
        Codes = new byte[(long)rows * cols];
        Scales = new float[(long)rows * GroupCount];
        ZeroPoints = new byte[(long)rows * GroupCount];
    }

    /// <summary>Output channels.</summary>
    public int Rows { get; }

    /// <summary>Reduction length (K).</summary>
    public int Cols { get; }

    /// <summary>Columns per group; equals <see cref="Cols"/> for one group per output channel.</summary>
    public int GroupSize { get; }

    /// <summary>Groups per row.</summary>
    public int GroupCount => (Cols + GroupSize - 1) / GroupSize;

    /// <summary>The grid (bits, symmetric).</summary>
    public WeightGrid Grid { get; }

    /// <summary>Codes, row-major [Rows × Cols].</summary>
    public byte[] Codes { get; }

    /// <summary>Scales, row-major [Rows × GroupCount].</summary>
    public float[] Scales { get; }

    /// <summary>Zero points, row-major [Rows × GroupCount].</summary>
    public byte[] ZeroPoints { get; }

    /// <summary>The float matrix the codes stand for, row-major [Rows × Cols].</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                long g = (long)r * GroupCount + c / GroupSize;
                w[(long)r * Cols + c] = WeightGrid.Dequantize(Codes[(long)r * Cols + c], Scales[g], ZeroPoints[g]);
            }
        }
        return w;
    }
}
