using Shrink.Methods.Quantization.Qdq;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Round-to-nearest with each group's scale refit by least squares, as llama.cpp's k-quants do
/// (<c>make_qx_quants</c>): starting from the round-to-nearest scale (after the clip search) and from scales around it
/// (max / (levels + 0.1·i), i = −9..9), the codes are rounded, the scale that best fits those codes,
/// s = Σ w·(q − z) / Σ (q − z)², is solved in closed form, and the codes rounded again, a few times; the group keeps the
/// scale with the least squared error. The zero point stays the grid's. Round-to-nearest's own scale is one of the
/// candidates, so the error is never larger than <c>rtn</c>'s with the same clip search. No data needed.
/// </summary>
[Registered("refit", "round to nearest, each group's scale refit by least squares (llama.cpp k-quants), no data needed", Order = 2)]
public sealed class LeastSquaresScaleRounding : IWeightRounding
{
    private const int Offsets = 9;
    private const int Refits = 4;

    /// <inheritdoc />
    public string Name => "refit";

    /// <inheritdoc />
    public bool NeedsHessian => false;

    /// <inheritdoc />
    public QuantizedWeight Round(float[] weight, int rows, int cols, float[]? hessian, WeightRoundingSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.LongLength, (long)rows * cols, nameof(weight));
        var q = new QuantizedWeight(rows, cols, settings.GroupSize, settings.Grid);
        var grid = settings.Grid;
        for (int r = 0; r < rows; r++)
        {
            var row = weight.AsSpan(r * cols, cols);
            for (int g = 0; g < q.GroupCount; g++)
            {
                int start = g * q.GroupSize, count = Math.Min(q.GroupSize, cols - start);
                var values = row.Slice(start, count);
                var (scale, zp) = Refit(values, grid, settings.ClipSteps);
                q.Scales[r * q.GroupCount + g] = scale;
                q.ZeroPoints[r * q.GroupCount + g] = (byte)zp;
                for (int c = 0; c < count; c++)
                    q.Codes[r * cols + start + c] = (byte)grid.Quantize(values[c], scale, zp);
            }
        }
        return q;
    }

    /// <summary>The group's scale with the least squared error, and the grid's zero point.</summary>
    internal static (float Scale, int ZeroPoint) Refit(ReadOnlySpan<float> values, WeightGrid grid, int clipSteps)
    {
        var (start, zp) = grid.FindParams(values, values.Length, 1, default, clipSteps);
        float bestScale = start;
        double bestError = Error(values, grid, start, zp);
        // The number of levels on the wider side of the zero point: the scale maps the largest |w| there.
        double levels = Math.Max(zp, grid.MaxCode - zp);
        for (int i = -Offsets; i <= Offsets; i++)
        {
            float scale = (float)(start * levels / Math.Max(levels + 0.1 * i, 0.5));
            for (int k = 0; k < Refits; k++)
            {
                double error = Error(values, grid, scale, zp);
                if (error < bestError)
                {
                    bestError = error;
                    bestScale = scale;
                }
                float next = FittedScale(values, grid, scale, zp);
                if (!(next >= QuantMath.MinScale) || next == scale) break;
                scale = next;
            }
        }
        return (bestScale, zp);
    }

    // The least-squares scale for the codes that `scale` rounds to: Σ w·l / Σ l², l = q − z; 0 when every code is z.
    private static float FittedScale(ReadOnlySpan<float> values, WeightGrid grid, float scale, int zp)
    {
        double wl = 0, ll = 0;
        foreach (float w in values)
        {
            int l = grid.Quantize(w, scale, zp) - zp;
            wl += (double)w * l;
            ll += (double)l * l;
        }
        return ll > 0 ? (float)(wl / ll) : 0f;
    }

    private static double Error(ReadOnlySpan<float> values, WeightGrid grid, float scale, int zp)
    {
        double sum = 0;
        foreach (float w in values)
        {
            double d = w - WeightGrid.Dequantize(grid.Quantize(w, scale, zp), scale, zp);
            sum += d * d;
        }
        return sum;
    }
}
