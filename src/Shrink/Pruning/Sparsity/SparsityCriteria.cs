namespace Shrink.Pruning.Sparsity;

/// <summary>The sparsity criteria by name.</summary>
public static class SparsityCriteria
{
    private static readonly Dictionary<string, Func<ISparsityCriterion>> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["magnitude"] = () => new MagnitudeCriterion(),
        ["energy"] = () => new OutputEnergyCriterion(),
    };

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Keys;

    /// <summary>Creates the criterion called <paramref name="name"/>.</summary>
    /// <exception cref="ShrinkException">No criterion has that name.</exception>
    public static ISparsityCriterion Create(string name) =>
        Registry.TryGetValue(name, out var create) ? create()
            : throw new ShrinkException($"Unknown sparsity criterion '{name}'; known: {string.Join(", ", Registry.Keys)}.");
}
