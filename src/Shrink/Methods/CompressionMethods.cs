using Shrink.Registration;

namespace Shrink.Methods;

/// <summary>
/// The compression methods by name: every <see cref="ICompressionMethod"/> class marked
/// <see cref="RegisteredAttribute"/> (adding one is one new file).
/// </summary>
public static class CompressionMethods
{
    /// <summary>The registered methods.</summary>
    public static Registry<ICompressionMethod> Registry { get; } = Registry<ICompressionMethod>.Discover("compression method");

    /// <summary>The method named <paramref name="name"/>; unknown names throw <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static ICompressionMethod Create(string name) => Registry.Create(name);
}
