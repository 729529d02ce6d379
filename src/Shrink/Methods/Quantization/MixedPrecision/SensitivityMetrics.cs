namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>The sensitivity metrics by name.</summary>
public static class SensitivityMetrics
{
    private static readonly Dictionary<string, Func<ISensitivityMetric>> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hutchinson"] = () => new HutchinsonSensitivity(),
        ["perturbation"] = () => new PerturbationSensitivity(),
    };

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Keys;

    /// <summary>The metric called <paramref name="name"/>; throws <see cref="ShrinkException"/> for an unknown name.</summary>
    public static ISensitivityMetric Create(string name) =>
        Registry.TryGetValue(name, out var make) ? make() : throw new ShrinkException($"Unknown sensitivity method '{name}'; use {string.Join(" or ", Registry.Keys)}.");
}
