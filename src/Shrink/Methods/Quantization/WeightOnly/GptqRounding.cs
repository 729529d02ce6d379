using System.Numerics.Tensors;
using Shrink.Numerics;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// GPTQ (Frantar et al., 2023): columns are rounded one at a time and each rounding error is fed back into the columns
/// not yet rounded, weighted by the inverse Hessian of the layer's least-squares output error, H = XᵀX. The inverse
/// enters through its upper Cholesky factor; updates are applied inside lazy blocks of columns, and once per block to
/// the rest of the matrix through one matrix product. With act-order the columns go in order of decreasing Hessian
/// diagonal, with scales fixed beforehand per original group ("static groups") so the groups stay contiguous for the
/// exporter. The work runs on the transposed weight, so a column is a contiguous, vectorizable row.
/// </summary>
[Registered("gptq", "data-aware rounding with error feedback (needs --data)", Order = 1)]
public sealed class GptqRounding : IWeightRounding
{
    /// <inheritdoc />
    public string Name => "gptq";

    /// <inheritdoc />
    public bool NeedsHessian => true;

    /// <inheritdoc />
    public QuantizedWeight Round(float[] weight, int rows, int cols, float[]? hessian, WeightRoundingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.LongLength, (long)rows * cols, nameof(weight));
        ArgumentOutOfRangeException.ThrowIfLessThan(hessian.LongLength, (long)cols * cols, nameof(hessian));
        var grid = settings.Grid;
        var q = new QuantizedWeight(rows, cols, settings.GroupSize, grid);
        int groupSize = q.GroupSize;

        var h = hessian.AsSpan(0, cols * cols).ToArray();
        var wt = new float[(long)cols * rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) wt[(long)c * rows + r] = weight[(long)r * cols + c];

        // Inputs that are always zero carry no information; their weights do not matter and are dropped.
        for (int i = 0; i < cols; i++)
        {
            if (h[(long)i * cols + i] == 0)
            {
                h[(long)i * cols + i] = 1;
                wt.AsSpan(i * rows, rows).Clear();
            }
        }
        var importance = RoundToNearest.Diagonal(h, cols);

        bool staticGroups = settings.ActOrder || groupSize == cols;
        if (staticGroups)
        {
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < q.GroupCount; g++)
                    SetGroupParams(q, wt, rows, r, g, importance, settings);
        }

        var perm = Enumerable.Range(0, cols).ToArray();
        if (settings.ActOrder)
        {
            // Stable: equal diagonals keep their column order.
            perm = perm.OrderByDescending(i => importance[i]).ThenBy(i => i).ToArray();
            var hp = new float[h.Length];
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) hp[(long)i * cols + j] = h[(long)perm[i] * cols + perm[j]];
            h = hp;
            var wp = new float[wt.Length];
            for (int i = 0; i < cols; i++) wt.AsSpan(perm[i] * rows, rows).CopyTo(wp.AsSpan(i * rows, rows));
            wt = wp;
        }

        var v = CholeskyInverse.Upper(h, cols, settings.Damp);

        // Groups never straddle a lazy block when scales are found on the fly: they read the block's updated columns.
        int block = Math.Max(1, settings.BlockSize);
        if (!staticGroups) block = Math.Max(groupSize, block / groupSize * groupSize);
        var errors = new float[(long)Math.Min(block, cols) * rows];
        int chunks = rows >= 256 ? Math.Min(Environment.ProcessorCount, rows / 128) : 1;
        for (int i1 = 0; i1 < cols; i1 += block)
        {
            int i2 = Math.Min(i1 + block, cols);
            if (chunks <= 1)
            {
                QuantizeBlock(q, wt, v, errors, perm, importance, settings, rows, cols, i1, i2, 0, rows, staticGroups);
            }
            else
            {
                int start = i1, end = i2;
                float[] w = wt;
                Parallel.For(0, chunks, k => QuantizeBlock(q, w, v, errors, perm, importance, settings, rows, cols, start, end,
                    (int)((long)rows * k / chunks), (int)((long)rows * (k + 1) / chunks), staticGroups));
            }
            if (i2 < cols)
            {
                // W[:, i2:] −= E · V[i1:i2, i2:], in transposed form.
                DenseMatrix.Gemm(true, false, cols - i2, rows, i2 - i1, -1f, v, i1 * cols + i2, cols, errors, 0, rows, 1f, wt, i2 * rows, rows);
            }
        }
        return q;
    }

    private static void QuantizeBlock(QuantizedWeight q, float[] wt, float[] v, float[] errors, int[] perm, float[] importance,
        WeightRoundingSettings settings, int rows, int cols, int i1, int i2, int r0, int r1, bool staticGroups)
    {
        var grid = settings.Grid;
        int groupSize = q.GroupSize, groupCount = q.GroupCount, n = r1 - r0;
        for (int c = i1; c < i2; c++)
        {
            int original = perm[c];
            if (!staticGroups && original % groupSize == 0)
            {
                for (int r = r0; r < r1; r++) SetGroupParams(q, wt, rows, r, original / groupSize, importance, settings);
            }
            int g = original / groupSize;
            float d = v[(long)c * cols + c];
            var column = wt.AsSpan(c * rows + r0, n);
            var error = errors.AsSpan((c - i1) * rows + r0, n);
            for (int k = 0; k < n; k++)
            {
                int r = r0 + k;
                float scale = q.Scales[r * groupCount + g];
                int zp = q.ZeroPoints[r * groupCount + g];
                int code = grid.Quantize(column[k], scale, zp);
                q.Codes[(long)r * cols + original] = (byte)code;
                error[k] = (column[k] - WeightGrid.Dequantize(code, scale, zp)) / d;
            }
            for (int j = c + 1; j < i2; j++)
            {
                var target = wt.AsSpan(j * rows + r0, n);
                TensorPrimitives.MultiplyAdd(error, -v[(long)c * cols + j], target, target);
            }
        }
    }

    // Scales of group g of row r, from the current (error-updated) weights of that group; columns are rows of wt.
    private static void SetGroupParams(QuantizedWeight q, float[] wt, int rows, int r, int g, float[] importance, WeightRoundingSettings settings)
    {
        int start = g * q.GroupSize, count = Math.Min(q.GroupSize, q.Cols - start);
        var (scale, zp) = settings.Grid.FindParams(wt.AsSpan(start * rows + r), count, rows, importance.AsSpan(start, count), settings.ClipSteps);
        q.Scales[r * q.GroupCount + g] = scale;
        q.ZeroPoints[r * q.GroupCount + g] = (byte)zp;
    }
}
