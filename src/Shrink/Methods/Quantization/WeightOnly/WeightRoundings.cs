namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>The weight rounding methods by name.</summary>
public static class WeightRoundings
{
    private static readonly Dictionary<string, Func<IWeightRounding>> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["rtn"] = () => new RoundToNearest(),
        ["gptq"] = () => new GptqRounding(),
    };

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Keys;

    /// <summary>Creates the method called <paramref name="name"/>.</summary>
    /// <exception cref="ShrinkException">No method has that name.</exception>
    public static IWeightRounding Create(string name) =>
        Registry.TryGetValue(name, out var create) ? create()
            : throw new ShrinkException($"Unknown weight rounding method '{name}'; known: {string.Join(", ", Registry.Keys)}.");
}
