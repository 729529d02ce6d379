using System.Numerics.Tensors;
using Shrink.Registration;

namespace Shrink.Training.Optimizers;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// w ← w − lr·(m̂ / (√v̂ + ε) + λ·w), with the bias-corrected moments m̂, v̂.
/// </summary>
[Registered("adamw", "Adam with decoupled weight decay (the default)", Order = 0)]
public sealed class AdamWOptimizer(OptimizerSettings settings) : IOptimizer
{
    private float[][] _first = [];
    private float[][] _second = [];
    private float[] _scratch = [];

    /// <inheritdoc />
    public void Initialize(IReadOnlyList<int> parameterSizes)
    {
        _first = [.. parameterSizes.Select(n => new float[n])];
        _second = [.. parameterSizes.Select(n => new float[n])];
        _scratch = new float[parameterSizes.Count == 0 ? 0 : parameterSizes.Max()];
    }

    /// <inheritdoc />
    public void Step(int index, Span<float> weights, ReadOnlySpan<float> gradient, float learningRate, float weightDecay, long step)
    {
        float b1 = (float)settings.Beta1, b2 = (float)settings.Beta2;
        var m = _first[index].AsSpan();
        var v = _second[index].AsSpan();
        var s = _scratch.AsSpan(0, weights.Length);
        if (weightDecay > 0) TensorPrimitives.Multiply(weights, 1 - learningRate * weightDecay, weights);
        // m = β₁·m + (1 − β₁)·g
        TensorPrimitives.Multiply(m, b1, m);
        TensorPrimitives.MultiplyAdd(gradient, 1 - b1, m, m);
        // v = β₂·v + (1 − β₂)·g²
        TensorPrimitives.Multiply(gradient, gradient, s);
        TensorPrimitives.Multiply(v, b2, v);
        TensorPrimitives.MultiplyAdd(s, 1 - b2, v, v);
        // w −= lr·m̂/(√v̂ + ε) = lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
        double c1 = 1 - Math.Pow(settings.Beta1, step), c2 = 1 - Math.Pow(settings.Beta2, step);
        TensorPrimitives.Sqrt(v, s);
        TensorPrimitives.Multiply(s, (float)(1 / Math.Sqrt(c2)), s);
        TensorPrimitives.Add(s, (float)settings.Epsilon, s);
        TensorPrimitives.Divide(m, s, s);
        TensorPrimitives.MultiplyAdd(s, (float)(-learningRate / c1), weights, weights);
    }
}
