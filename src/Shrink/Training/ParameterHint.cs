namespace Shrink.Training;

/// <summary>
/// How one parameter is trained, beyond the run's settings: a learning-rate factor (e.g. LSQ's gradient scale for a
/// quantization step), a lower bound kept after every step (a step size must stay positive), and whether weight decay
/// applies (by default only to parameters of two or more dimensions).
/// </summary>
public sealed record ParameterHint
{
    /// <summary>Multiplies the learning rate for this parameter.</summary>
    public double LearningRateScale { get; init; } = 1;

    /// <summary>Every value is raised to at least this after each step (null: unbounded).</summary>
    public float? Minimum { get; init; }

    /// <summary>Whether the parameter's zeros stay zero (a pruned sparsity pattern kept through training).</summary>
    public bool KeepZeros { get; init; }

    /// <summary>Whether weight decay applies (null: only when the parameter has two or more dimensions).</summary>
    public bool? Decay { get; init; }
}
