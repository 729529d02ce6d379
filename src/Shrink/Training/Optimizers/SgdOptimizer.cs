using System.Numerics.Tensors;
using Shrink.Registration;

namespace Shrink.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with heavy-ball momentum (PyTorch's form: v ← μ·v + g; w ← w − lr·v) and decoupled
/// weight decay (w ← w − lr·λ·w).
/// </summary>
[Registered("sgd", "SGD with momentum (--momentum, default 0.9) and decoupled weight decay", Order = 1)]
public sealed class SgdOptimizer(OptimizerSettings settings) : IOptimizer
{
    private float[][] _velocity = [];

    /// <inheritdoc />
    public void Initialize(IReadOnlyList<int> parameterSizes) =>
        _velocity = [.. parameterSizes.Select(n => settings.Momentum > 0 ? new float[n] : [])];

    /// <inheritdoc />
    public void Step(int index, Span<float> weights, ReadOnlySpan<float> gradient, float learningRate, float weightDecay, long step)
    {
        if (weightDecay > 0) TensorPrimitives.Multiply(weights, 1 - learningRate * weightDecay, weights);
        if (settings.Momentum > 0)
        {
            var v = _velocity[index].AsSpan();
            // v = μ·v + g, then w = w − lr·v.
            TensorPrimitives.MultiplyAdd(v, (float)settings.Momentum, gradient, v);
            TensorPrimitives.MultiplyAdd(v, -learningRate, weights, weights);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(gradient, -learningRate, weights, weights);
        }
    }
}
