using Shrink.Registration;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// The sensitivity metrics by name: every <see cref="ISensitivityMetric"/> class marked <see cref="RegisteredAttribute"/>
/// (adding one is one new file). Names match case-insensitively.
/// </summary>
public static class SensitivityMetrics
{
    /// <summary>The registered metrics.</summary>
    public static Registry<ISensitivityMetric> Registry { get; } = Registry<ISensitivityMetric>.Discover("sensitivity method");

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Names;

    /// <summary>The metric called <paramref name="name"/>; throws <see cref="ShrinkException"/> for an unknown name.</summary>
    public static ISensitivityMetric Create(string name) => Registry.Create(Registry.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name);
}
