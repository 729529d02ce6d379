using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>Round-to-nearest per group: each group's scale from its range (optionally clip-searched), each weight rounded alone.</summary>
[Registered("rtn", "round to nearest, no data needed")]
public sealed class RoundToNearest : IWeightRounding
{
    /// <inheritdoc />
    public string Name => "rtn";

    /// <inheritdoc />
    public bool NeedsHessian => false;

    /// <inheritdoc />
    public QuantizedWeight Round(float[] weight, int rows, int cols, float[]? hessian, WeightRoundingSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.LongLength, (long)rows * cols, nameof(weight));
        var q = new QuantizedWeight(rows, cols, settings.GroupSize, settings.Grid);
        var importance = hessian is null ? null : Diagonal(hessian, cols);
        var grid = settings.Grid;
        for (int r = 0; r < rows; r++)
        {
            var row = weight.AsSpan(r * cols, cols);
            for (int g = 0; g < q.GroupCount; g++)
            {
                int start = g * q.GroupSize, count = Math.Min(q.GroupSize, cols - start);
                var (scale, zp) = grid.FindParams(row[start..], count, 1, importance is null ? default : importance.AsSpan(start, count), settings.ClipSteps);
                q.Scales[r * q.GroupCount + g] = scale;
                q.ZeroPoints[r * q.GroupCount + g] = (byte)zp;
                for (int c = start; c < start + count; c++)
                    q.Codes[r * cols + c] = (byte)grid.Quantize(row[c], scale, zp);
            }
        }
        return q;
    }

    internal static float[] Diagonal(float[] h, int n)
    {
        var d = new float[n];
        for (int i = 0; i < n; i++) d[i] = h[(long)i * n + i];
        return d;
    }
}
