using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// The weight rounding methods by name: every <see cref="IWeightRounding"/> class marked
/// <see cref="RegisteredAttribute"/> (adding one is one new file). Names match case-insensitively.
/// </summary>
public static class WeightRoundings
{
    /// <summary>The registered methods.</summary>
    public static Registry<IWeightRounding> Registry { get; } = Registry<IWeightRounding>.Discover("weight rounding method");

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Names;

    /// <summary>Creates the method called <paramref name="name"/>.</summary>
    /// <exception cref="ShrinkException">No method has that name.</exception>
    public static IWeightRounding Create(string name) => Registry.Create(Registry.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name);
}
