namespace Shrink.Ops;

/// <summary>Attribute values for nodes that backward rules and losses write.</summary>
public static class OnnxAttribute
{
    /// <summary>An integer attribute.</summary>
    public static OpAttribute Int(string name, long value) => new(name, Int: value);

    /// <summary>An integer-list attribute.</summary>
    public static OpAttribute Ints(string name, IEnumerable<long> values) => new(name, Ints: [.. values]);

    /// <summary>A float attribute.</summary>
    public static OpAttribute Float(string name, float value) => new(name, Float: value);

    /// <summary>A string attribute.</summary>
    public static OpAttribute String(string name, string value) => new(name, Text: value);
}
