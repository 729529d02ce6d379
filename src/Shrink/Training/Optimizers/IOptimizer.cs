namespace Shrink.Training.Optimizers;

/// <summary>
/// A first-order optimizer registered by name (<see cref="Optimizers"/>): updates each parameter in place from its
/// gradient, keeping whatever state it needs (momentum, moments) per parameter.
/// </summary>
public interface IOptimizer
{
    /// <summary>Allocates state for parameters of these element counts (called once, before the first step).</summary>
    void Initialize(IReadOnlyList<int> parameterSizes);

    /// <summary>
    /// Updates parameter <paramref name="index"/> in place: <paramref name="weights"/> from <paramref name="gradient"/>
    /// at <paramref name="learningRate"/>, with decoupled weight decay <paramref name="weightDecay"/> (0 for none).
    /// <paramref name="step"/> counts from 1 (bias correction).
    /// </summary>
    void Step(int index, Span<float> weights, ReadOnlySpan<float> gradient, float learningRate, float weightDecay, long step);
}
