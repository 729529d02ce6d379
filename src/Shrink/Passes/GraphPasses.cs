using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// The graph passes by name: every <see cref="IGraphPass"/> class marked <see cref="RegisteredAttribute"/> (adding one
/// is one new file). Passes with settings take them through their constructor.
/// </summary>
public static class GraphPasses
{
    /// <summary>The registered passes.</summary>
    public static Registry<IGraphPass> Registry { get; } = Registry<IGraphPass>.Discover("graph pass");
}
