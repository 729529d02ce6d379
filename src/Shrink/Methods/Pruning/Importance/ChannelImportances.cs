namespace Shrink.Methods.Pruning.Importance;

/// <summary>The channel importance criteria by name. Registering a name twice throws.</summary>
public static class ChannelImportances
{
    private static readonly Dictionary<string, Func<IChannelImportance>> Factories = new(StringComparer.Ordinal);

    static ChannelImportances()
    {
        Register("l1", () => new L1Importance());
        Register("l2", () => new L2Importance());
        Register("bn-scale", () => new BatchNormScaleImportance());
        Register("activation", () => new ActivationImportance());
        Register("reconstruction", () => new ReconstructionImportance());
    }

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>Adds a criterion.</summary>
    public static void Register(string name, Func<IChannelImportance> factory)
    {
        if (!Factories.TryAdd(name, factory))
            throw new InvalidOperationException($"A channel importance criterion named '{name}' is already registered.");
    }

    /// <summary>The criterion named <paramref name="name"/>; unknown names throw <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static IChannelImportance Create(string name) =>
        Factories.TryGetValue(name, out var factory)
            ? factory()
            : throw new ShrinkException($"Unknown channel importance criterion '{name}'; use one of {string.Join(", ", Factories.Keys)}.");
}
