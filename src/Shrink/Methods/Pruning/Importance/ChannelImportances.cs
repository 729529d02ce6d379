using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// The channel importance criteria by name: every <see cref="IChannelImportance"/> class marked
/// <see cref="RegisteredAttribute"/> (adding one is one new file).
/// </summary>
public static class ChannelImportances
{
    /// <summary>The registered criteria.</summary>
    public static Registry<IChannelImportance> Registry { get; } = Registry<IChannelImportance>.Discover("channel importance criterion");

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Names;

    /// <summary>The criterion named <paramref name="name"/>; unknown names throw <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static IChannelImportance Create(string name) => Registry.Create(name);
}
