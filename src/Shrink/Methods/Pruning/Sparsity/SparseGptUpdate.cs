using System.Numerics.Tensors;
using Shrink.Layers;
using Shrink.Numerics;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// SparseGPT (Frantar &amp; Alistarh, 2023): an OBS-style update that prunes a layer's weight W [rows × cols] column by
/// column and feeds each pruned weight's loss into the columns not yet visited, weighted by the inverse of the layer
/// input's H = XᵀX (through its upper Cholesky factor, as GPTQ does), so ‖(W − Ŵ)X‖² stays small. Columns go in lazy
/// blocks; an unstructured mask is chosen at each block's start from w²/[H⁻¹]²_cc on the updated weights, with the
/// block's share of the layer's zeros (so the layer gets exactly the requested count); an N:M mask is chosen for each
/// group of M columns as the update reaches it. Inputs that are always zero are pruned first (they cost nothing).
/// </summary>
public static class SparseGptUpdate
{
    /// <summary>
    /// The pruned and updated weight, row-major [rows × cols]. <paramref name="weight"/> and <paramref name="hessian"/>
    /// are not modified. A <paramref name="damp"/> so large that H⁻¹ is nearly diagonal and uniform makes this plain
    /// magnitude pruning (per block) with almost no update.
    /// </summary>
    public static float[] Prune(float[] weight, int rows, int cols, float[] hessian, ISparsityMask mask, long zeros, double damp, int blockSize) =>
        Prune(weight, rows, cols, Factor(hessian, cols, damp), mask, zeros, blockSize);

    /// <summary>
    /// The part of the update that depends on the layer input only (the upper Cholesky factor of the dampened H⁻¹ and
    /// the inputs that never fire), to prune one layer at several rates without refactoring H each time.
    /// </summary>
    public static SparseGptFactor Factor(float[] hessian, int cols, double damp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hessian.LongLength, (long)cols * cols, nameof(hessian));
        var h = hessian.AsSpan(0, cols * cols).ToArray();
        var dead = new bool[cols];
        for (int i = 0; i < cols; i++)
        {
            if (h[(long)i * cols + i] != 0) continue;
            dead[i] = true;
            h[(long)i * cols + i] = 1;
        }
        return new SparseGptFactor(cols, CholeskyInverse.Upper(h, cols, damp), dead);
    }

    /// <summary>The pruned and updated weight, with the input's factor from <see cref="Factor"/>.</summary>
    public static float[] Prune(float[] weight, int rows, int cols, SparseGptFactor factor, ISparsityMask mask, long zeros, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(factor);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.LongLength, (long)rows * cols, nameof(weight));
        if (factor.Cols != cols) throw new ArgumentException($"The factor is for {factor.Cols} columns, not {cols}.", nameof(factor));
        zeros = mask.ZerosFor(rows, cols, zeros);
        var v = factor.UpperInverse;
        var dead = factor.Dead;
        var wt = WeightLayer.Transpose(weight, rows, cols); // column c of W is row c of wt: contiguous

        int period = mask.Period;
        int block = Math.Max(1, blockSize);
        if (period > 0) block = Math.Max(period, block / period * period);
        int maxWidth = Math.Min(block, cols);
        var errors = new float[(long)maxWidth * rows];
        var scores = new float[(long)rows * Math.Max(maxWidth, period)];
        var prune = new bool[scores.Length];
        for (int i1 = 0; i1 < cols; i1 += block)
        {
            int i2 = Math.Min(i1 + block, cols), width = i2 - i1;
            if (period == 0)
            {
                long share = Share(zeros, i2, cols) - Share(zeros, i1, cols);
                FillScores(wt, v, dead, rows, cols, i1, width, scores);
                mask.Select(scores, rows, width, share, prune);
            }
            for (int c = i1; c < i2; c++)
            {
                int local = c - i1;
                if (period > 0 && local % period == 0)
                {
                    int w = Math.Min(period, i2 - c);
                    FillScores(wt, v, dead, rows, cols, c, w, scores);
                    mask.Select(scores, rows, w, 0, prune);
                }
                int width0 = period > 0 ? Math.Min(period, i2 - (c - local % period)) : width;
                int offset = period > 0 ? local % period : local;
                float d = v[(long)c * cols + c];
                var column = wt.AsSpan(c * rows, rows);
                var error = errors.AsSpan(local * rows, rows);
                for (int r = 0; r < rows; r++)
                {
                    if (prune[r * width0 + offset])
                    {
                        error[r] = column[r] / d;
                        column[r] = 0;
                    }
                    else
                    {
                        error[r] = 0;
                    }
                }
                for (int j = c + 1; j < i2; j++)
                {
                    var target = wt.AsSpan(j * rows, rows);
                    TensorPrimitives.MultiplyAdd(error, -v[(long)c * cols + j], target, target);
                }
            }
            // A pruned entry is zeroed when the loop reaches its column and nothing writes it afterwards. W[:, i2:] −= E · V[i1:i2, i2:].
            if (i2 < cols)
                DenseMatrix.Gemm(true, false, cols - i2, rows, width, -1f, v, i1 * cols + i2, cols, errors, 0, rows, 1f, wt, i2 * rows, rows);
        }
        return WeightLayer.Transpose(wt, cols, rows);
    }

    // Zeros assigned to columns [0, end): the layer's count spread in proportion to the columns, rounded.
    private static long Share(long zeros, int end, int cols) => (2 * zeros * end + cols) / (2L * cols);

    // scores[r, j] = w[r, c0 + j]² / V[c, c]², row-major [rows × width]; inputs that never fire score −1 (pruned first).
    private static void FillScores(float[] wt, float[] v, bool[] dead, int rows, int cols, int c0, int width, float[] scores)
    {
        for (int j = 0; j < width; j++)
        {
            int c = c0 + j;
            float d = v[(long)c * cols + c];
            float inv = 1f / (d * d);
            for (int r = 0; r < rows; r++)
            {
                float w = wt[(long)c * rows + r];
                scores[r * width + j] = dead[c] ? -1f : w * w * inv;
            }
        }
    }
}
