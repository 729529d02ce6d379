using Shrink.Registration;

namespace Shrink.Training.Optimizers;

/// <summary>The registered optimizers (<c>--optimizer</c>).</summary>
public static class Optimizers
{
    /// <summary>Every class with <see cref="RegisteredAttribute"/> implementing <see cref="IOptimizer"/>.</summary>
    public static Registry<IOptimizer> Registry { get; } = Registry<IOptimizer>.Discover("optimizer");

    /// <summary>A new optimizer by name; an unknown name throws ShrinkException listing the valid ones.</summary>
    public static IOptimizer Create(string name, OptimizerSettings settings) => Registry.Create(name, settings);
}
