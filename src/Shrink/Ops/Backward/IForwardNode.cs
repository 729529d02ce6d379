namespace Shrink.Ops;

/// <summary>The forward node a backward rule differentiates, as the rule sees it.</summary>
public interface IForwardNode
{
    /// <summary>The op type.</summary>
    string OpType { get; }

    /// <summary>The name used in messages.</summary>
    string DisplayName { get; }

    /// <summary>Input names ("" for omitted ones).</summary>
    IReadOnlyList<string> Inputs { get; }

    /// <summary>Output names.</summary>
    IReadOnlyList<string> Outputs { get; }

    /// <summary>An integer attribute or the fallback.</summary>
    long GetInt(string name, long fallback);

    /// <summary>An integer-list attribute, or null.</summary>
    IReadOnlyList<long>? GetInts(string name);

    /// <summary>A float attribute or the fallback.</summary>
    float GetFloat(string name, float fallback);

    /// <summary>A string attribute or the fallback.</summary>
    string GetString(string name, string fallback);

    /// <summary>Whether the attribute is present.</summary>
    bool HasAttribute(string name);

    /// <summary>Gives the node output <paramref name="index"/> (named from <paramref name="stem"/>) when it lacks it; returns its name.</summary>
    string EnsureOutput(int index, string stem);
}
