namespace Shrink.Training.Optimizers;

/// <summary>The hyper-parameters an optimizer reads (each uses the ones it needs).</summary>
public sealed record OptimizerSettings
{
    /// <summary>SGD momentum (0 for plain SGD).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's denominator floor.</summary>
    public double Epsilon { get; init; } = 1e-8;
}
