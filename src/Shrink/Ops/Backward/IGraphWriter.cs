namespace Shrink.Ops;

/// <summary>
/// What <see cref="GraphEmitter"/> needs of the graph it writes to (implemented over the model IR by the autodiff, so the
/// ops catalog does not depend on it): nodes and constants under fresh names, and constant values by name.
/// </summary>
public interface IGraphWriter
{
    /// <summary>The default-domain opset of the graph.</summary>
    long Opset { get; }

    /// <summary>A value name not used in the graph, derived from <paramref name="stem"/>.</summary>
    string UniqueName(string stem);

    /// <summary>Appends a node; its outputs are the given names.</summary>
    void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string name, IReadOnlyList<OpAttribute> attributes);

    /// <summary>Adds a float initializer.</summary>
    void AddFloats(string name, long[] dims, float[] values);

    /// <summary>Adds an int64 initializer.</summary>
    void AddInts(string name, long[] dims, long[] values);

    /// <summary>The values of a constant (initializer or Constant node) as int64, or null when computed or not integer.</summary>
    long[]? ConstantInts(string value);

    /// <summary>The values of a constant float (initializer or Constant node), or null.</summary>
    float[]? ConstantFloats(string value);
}
