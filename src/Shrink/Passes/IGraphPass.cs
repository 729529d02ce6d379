using Shrink.Model;

namespace Shrink.Passes;

/// <summary>
/// A rewrite of a model's graph (fold, promote, upgrade...). Passes take their decisions from the model and
/// plain inputs given at construction; they never run the model.
/// </summary>
public interface IGraphPass
{
    /// <summary>A short, unique, kebab-case name (used in reports and on the command line).</summary>
    string Name { get; }

    /// <summary>Applies the pass in place and reports what changed.</summary>
    GraphPassResult Apply(OnnxModel model);
}

/// <summary>What a pass did: a count of changes and one line per change for reports.</summary>
public sealed record GraphPassResult(int Changes, IReadOnlyList<string> Details)
{
    /// <summary>A result with no changes.</summary>
    public static GraphPassResult None { get; } = new(0, []);
}
