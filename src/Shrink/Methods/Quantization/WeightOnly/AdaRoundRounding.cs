using System.Numerics;
using System.Numerics.Tensors;
using Shrink.Numerics;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization", ICML 2020): each weight is
/// rounded down or up, never further, and the choice is learned so that the layer's output changes least on the
/// calibration data. The scales are fixed first, per group, as the other rounders find them (the clip search weighted by
/// the Hessian diagonal). Every weight then gets a continuous variable V and the soft level ⌊w/s⌋ + h(V), with the
/// rectified sigmoid h(V) = clip(σ(V)(ζ − γ) + γ, 0, 1), ζ = 1.1, γ = −0.1, started where h equals the fractional part
/// of w/s (so the soft weights start equal to W). Adam on V minimizes the layer-wise output error
/// ‖W X − Ŵ X‖² = tr(ΔW H ΔWᵀ) with H = XᵀX, the Hessian GPTQ receives (dampened the same way), divided by the mean
/// over the weights of s²·H_cc (one full step of error on an average weight counts 1), plus
/// λ Σ (1 − |2h − 1|^β), which pushes every h to 0 or 1: off for the first 20 % of the iterations, then with β
/// annealed linearly from 20 to 2. Finally a weight rounds up where h ≥ 0.5. Levels are clamped to the grid, so a weight
/// whose up (or down) level lies outside it keeps the one level left.
/// <para>
/// Constants, and where they depart from the paper (10,000 Adam steps at PyTorch's default rate 1e-3, λ = 0.01 against
/// a per-sample output error): <see cref="DefaultIterations"/> = 500 steps at rate 0.1, λ = 100. The paper's λ is in
/// units of s²·E[x²] of its layers; this normalizer makes the output error scale-free, and 0.01 / (s²·E[x²]) is 4–100
/// for typical 3–4-bit scales and unit activations. Chosen on the layers of resnet8 and tiny_gpt at 3 bits (Hessians
/// from their calibration data): λ from 0.001 to 1,000 and rates 0.003–0.1, the sum of relative layer errors falling
/// with λ up to about 100 (flat beyond) and with the rate up to 0.1 (at rate 0.03, 1,000 steps left 5 % less error than 500, at
/// twice the time).
/// </para>
/// <para>
/// Cost: each iteration multiplies ΔW by H, 2·rows·cols² flops (the packed GEMM of <see cref="DenseMatrix"/>), so a
/// layer costs <see cref="Iterations"/> times that: about 7 GFLOP for a 192×192 layer, 113 GFLOP for 768→192 (seconds),
/// 69 TFLOP for a 4096×4096 one (hours). The hard-rounded result is compared with round-to-nearest on the same scales
/// and the one with the smaller output error kept, so the objective is never worse than nearest rounding's.
/// Deterministic: no random numbers, and the same input gives the same codes run after run.
/// </para>
/// </summary>
[Registered("adaround", "data-aware: learns per weight whether to round up or down to match the layer's outputs (AdaRound; needs --data, slower than gptq)", Order = 3)]
public sealed class AdaRoundRounding : IWeightRounding
{
    /// <summary>Adam steps per layer unless <see cref="Iterations"/> says otherwise.</summary>
    public const int DefaultIterations = 500;

    private const float Zeta = 1.1f;
    private const float Gamma = -0.1f;
    private const float WarmUp = 0.2f;
    private const float BetaStart = 20f;
    private const float BetaEnd = 2f;
    private const float Adam1 = 0.9f;
    private const float Adam2 = 0.999f;
    private const float AdamEpsilon = 1e-8f;

    /// <inheritdoc />
    public string Name => "adaround";

    /// <inheritdoc />
    public bool NeedsHessian => true;

    /// <summary>Adam steps per layer (default <see cref="DefaultIterations"/>).</summary>
    public int Iterations { get; init; } = DefaultIterations;

    /// <summary>Adam's learning rate on V.</summary>
    internal float LearningRate { get; init; } = 0.1f;

    /// <summary>λ, the weight of the rounding regularizer against the normalized output error.</summary>
    internal float Regularization { get; init; } = 100f;

    /// <inheritdoc />
    public QuantizedWeight Round(float[] weight, int rows, int cols, float[]? hessian, WeightRoundingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.LongLength, (long)rows * cols, nameof(weight));
        ArgumentOutOfRangeException.ThrowIfLessThan(hessian.LongLength, (long)cols * cols, nameof(hessian));
        ArgumentOutOfRangeException.ThrowIfNegative(Iterations);
        var grid = settings.Grid;
        var q = new QuantizedWeight(rows, cols, settings.GroupSize, grid);
        int n = rows * cols;

        var h = Dampened(hessian, cols, settings.Damp);
        var importance = RoundToNearest.Diagonal(h, cols);
        for (int r = 0; r < rows; r++)
        {
            var row = weight.AsSpan(r * cols, cols);
            for (int g = 0; g < q.GroupCount; g++)
            {
                int start = g * q.GroupSize, count = Math.Min(q.GroupSize, cols - start);
                var (scale, zp) = grid.FindParams(row[start..], count, 1, importance.AsSpan(start, count), settings.ClipSteps);
                q.Scales[r * q.GroupCount + g] = scale;
                q.ZeroPoints[r * q.GroupCount + g] = (byte)zp;
            }
        }

        // Per weight: the residual at the lower level (w − s·lo), the step to the upper one (s, or 0 where the grid
        // leaves one level), the starting V, and the normalizer: the mean of s²·H_cc over the weights that can move.
        var residual = new float[n];
        var step = new float[n];
        var v = new float[n];
        var lower = new int[n];
        var nearest = new bool[n];
        double norm = 0;
        int free = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c, g = r * q.GroupCount + c / q.GroupSize;
                float scale = q.Scales[g];
                int zp = q.ZeroPoints[g];
                float x = weight[i] / scale;
                float f = MathF.Floor(x);
                int lo = (int)Math.Clamp(f, -zp, grid.MaxCode - zp), hi = (int)Math.Clamp(f + 1, -zp, grid.MaxCode - zp);
                lower[i] = lo;
                residual[i] = weight[i] - lo * scale;
                if (hi == lo) continue;
                nearest[i] = MathF.Round(x, MidpointRounding.ToEven) > f;
                step[i] = scale;
                float p = Math.Clamp(((x - f) - Gamma) / (Zeta - Gamma), 1e-6f, 1 - 1e-6f);
                v[i] = MathF.Log(p / (1 - p));
                norm += (double)scale * scale * importance[c];
                free++;
            }
        }

        var up = new bool[n];
        if (free > 0 && norm > 0 && double.IsFinite(norm) && Iterations > 0)
        {
            Optimize(v, residual, step, h, rows, cols, (float)(free / norm));
            for (int i = 0; i < n; i++) up[i] = step[i] != 0 && v[i] >= 0;
            // Keep nearest rounding on the same scales where it fits the outputs better (a safeguard; rare).
            if (OutputError(nearest, residual, step, h, rows, cols) < OutputError(up, residual, step, h, rows, cols)) up = nearest;
        }
        else
        {
            up = nearest;
        }
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c;
                q.Codes[i] = (byte)(lower[i] + (up[i] ? 1 : 0) + q.ZeroPoints[r * q.GroupCount + c / q.GroupSize]);
            }
        }
        return q;
    }

    // Adam on V. ΔW = residual − step·h(V); the output error's gradient in h is −2·(ΔW·H)∘step, times `scale`. The
    // element-wise passes are vectorized; where h is clipped flat (or the weight has one level) the gradient is zero and
    // Adam's moments only decay, as in the reference.
    private void Optimize(float[] v, float[] residual, float[] step, float[] h, int rows, int cols, float scale)
    {
        int n = v.Length;
        var sigma = new float[n];
        var soft = new float[n];
        var delta = new float[n];
        var product = new float[n];
        var power = new float[n];
        var m1 = new float[n];
        var m2 = new float[n];
        int warm = (int)(WarmUp * Iterations);
        for (int t = 0; t < Iterations; t++)
        {
            TensorPrimitives.Sigmoid(v, sigma);
            SoftRounding(sigma, residual, step, soft, delta);
            DenseMatrix.Gemm(false, false, rows, cols, cols, -2f * scale, delta, 0, cols, h, 0, cols, 0f, product, 0, cols);
            float beta = 0;
            if (t >= warm)
            {
                float progress = Iterations - warm <= 1 ? 1f : (t - warm) / (float)(Iterations - warm - 1);
                beta = BetaEnd + (BetaStart - BetaEnd) * (1 - progress);
                // |2h − 1|^(β − 1) as exp((β − 1)·log|2h − 1|): vectorized, where Pow is not (log 0 = −∞ gives 0).
                TensorPrimitives.Multiply(soft, 2f, power);
                TensorPrimitives.Add(power, -1f, power);
                TensorPrimitives.Abs(power, power);
                TensorPrimitives.Log(power, power);
                TensorPrimitives.Multiply(power, beta - 1, power);
                TensorPrimitives.Exp(power, power);
            }
            float c1 = 1 - MathF.Pow(Adam1, t + 1), c2 = 1 - MathF.Pow(Adam2, t + 1);
            AdamStep(v, sigma, soft, step, product, power, m1, m2, t >= warm ? 2 * Regularization * beta : 0f, LearningRate / c1, 1 / MathF.Sqrt(c2));
        }
    }

    // h = clip(σ(V)(ζ − γ) + γ, 0, 1); ΔW = residual − step·h.
    private static void SoftRounding(ReadOnlySpan<float> sigma, ReadOnlySpan<float> residual, ReadOnlySpan<float> step, Span<float> soft, Span<float> delta)
    {
        int n = sigma.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var range = new Vector<float>(Zeta - Gamma);
            var gamma = new Vector<float>(Gamma);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var s = Vector.Min(Vector.Max(new Vector<float>(sigma[i..]) * range + gamma, Vector<float>.Zero), Vector<float>.One);
                s.CopyTo(soft[i..]);
                (new Vector<float>(residual[i..]) - new Vector<float>(step[i..]) * s).CopyTo(delta[i..]);
            }
        }
        for (; i < n; i++)
        {
            float s = Math.Clamp(sigma[i] * (Zeta - Gamma) + Gamma, 0f, 1f);
            soft[i] = s;
            delta[i] = residual[i] - step[i] * s;
        }
    }

    // One Adam step on V. The gradient in h is product·step − regularization·power·sign(2h − 1) (regularization is
    // 2λβ, power |2h − 1|^(β − 1)), times dh/dV = σ(1 − σ)(ζ − γ) where h is not clipped, else 0.
    private static void AdamStep(Span<float> v, ReadOnlySpan<float> sigma, ReadOnlySpan<float> soft, ReadOnlySpan<float> step, ReadOnlySpan<float> product,
        ReadOnlySpan<float> power, Span<float> m1, Span<float> m2, float regularization, float rate, float inverseRoot)
    {
        int n = v.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var half = new Vector<float>(0.5f);
            var reg = new Vector<float>(regularization);
            var range = new Vector<float>(Zeta - Gamma);
            var b1 = new Vector<float>(Adam1);
            var b2 = new Vector<float>(Adam2);
            var a1 = new Vector<float>(1 - Adam1);
            var a2 = new Vector<float>(1 - Adam2);
            var lr = new Vector<float>(rate);
            var root = new Vector<float>(inverseRoot);
            var epsilon = new Vector<float>(AdamEpsilon);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var s = new Vector<float>(soft[i..]);
                var st = new Vector<float>(step[i..]);
                var sg = new Vector<float>(sigma[i..]);
                var pull = reg * new Vector<float>(power[i..]);
                var g = new Vector<float>(product[i..]) * st - Vector.ConditionalSelect(Vector.GreaterThanOrEqual(s, half), pull, -pull);
                g *= sg * (Vector<float>.One - sg) * range;
                var inside = Vector.GreaterThan(s, Vector<float>.Zero) & Vector.LessThan(s, Vector<float>.One) & ~Vector.Equals(st, Vector<float>.Zero);
                g = Vector.ConditionalSelect(inside, g, Vector<float>.Zero);
                var first = b1 * new Vector<float>(m1[i..]) + a1 * g;
                var second = b2 * new Vector<float>(m2[i..]) + a2 * g * g;
                first.CopyTo(m1[i..]);
                second.CopyTo(m2[i..]);
                (new Vector<float>(v[i..]) - lr * first / (Vector.SquareRoot(second) * root + epsilon)).CopyTo(v[i..]);
            }
        }
        for (; i < n; i++)
        {
            float s = soft[i], g = 0;
            if (s > 0f && s < 1f && step[i] != 0)
            {
                float pull = regularization * power[i];
                g = (product[i] * step[i] - (s >= 0.5f ? pull : -pull)) * sigma[i] * (1 - sigma[i]) * (Zeta - Gamma);
            }
            m1[i] = Adam1 * m1[i] + (1 - Adam1) * g;
            m2[i] = Adam2 * m2[i] + (1 - Adam2) * g * g;
            v[i] -= rate * m1[i] / (MathF.Sqrt(m2[i]) * inverseRoot + AdamEpsilon);
        }
    }

    // tr(ΔW H ΔWᵀ) of a hard rounding.
    private static double OutputError(bool[] up, float[] residual, float[] step, float[] h, int rows, int cols)
    {
        int n = up.Length;
        var delta = new float[n];
        for (int i = 0; i < n; i++) delta[i] = up[i] ? residual[i] - step[i] : residual[i];
        var product = new float[n];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, delta, 0, cols, h, 0, cols, 0f, product, 0, cols);
        double total = 0;
        for (int i = 0; i < n; i++) total += (double)delta[i] * product[i];
        return total;
    }

    // H + damp·mean(diag)·I; a Hessian without any signal (all zero) stays zero.
    private static float[] Dampened(float[] hessian, int cols, double damp)
    {
        var h = hessian.AsSpan(0, cols * cols).ToArray();
        double mean = 0;
        for (int i = 0; i < cols; i++) mean += h[(long)i * cols + i];
        mean /= cols;
        float add = (float)(damp * mean);
        for (int i = 0; i < cols; i++) h[(long)i * cols + i] += add;
        return h;
    }
}
