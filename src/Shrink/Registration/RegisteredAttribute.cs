namespace Shrink.Registration;

/// <summary>
/// Marks a class as an extension registered by <paramref name="name"/> (a calibrator, rounder, criterion, pass, QDQ op
/// handler or whole method). <see cref="Registry{T}.Discover"/> finds it: adding one is one new file and its test.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RegisteredAttribute(string name, string summary) : Attribute
{
    /// <summary>The name users type (on the command line and in recipes).</summary>
    public string Name { get; } = name;

    /// <summary>One line for help text and the generated CLI reference.</summary>
    public string Summary { get; } = summary;

    /// <summary>Listing order in help and docs (lower first, then by name); the default is 0.</summary>
    public int Order { get; init; }
}
