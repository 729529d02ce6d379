using Google.Protobuf;
using Onnx;

namespace Shrink.Model;

/// <summary>
/// One operator in a <see cref="ModelGraph"/>. It wraps the ONNX <see cref="NodeProto"/> so attributes,
/// doc strings and subgraphs round-trip untouched; inputs and outputs change only through the graph,
/// which keeps its producer and consumer indexes right.
/// </summary>
public sealed class Node
{
    internal Node(NodeProto proto) => Proto = proto;

    // Bookkeeping of the ModelGraph that holds this node: its place in the graph's linked node order (Order grows along
    // it), its position in the last materialized node list, and the names the graph's indexes recorded for it, so an edit
    // updates only this node's entries.
    internal ModelGraph? Owner;
    internal Node? Previous;
    internal Node? Next;
    internal long Order;
    internal int Position;
    internal string[]? IndexedReads;
    internal string[]? IndexedWrites;

    /// <summary>The underlying protobuf (attributes, doc string). Edit inputs and outputs through <see cref="ModelGraph"/>.</summary>
    public NodeProto Proto { get; }

    /// <summary>The node name (may be empty in exported graphs; <see cref="DisplayName"/> never is).</summary>
    public string Name => Proto.Name;

    /// <summary>The operator type, e.g. <c>Conv</c>.</summary>
    public string OpType => Proto.OpType;

    /// <summary>The operator domain; empty for the default ONNX domain.</summary>
    public string Domain => Proto.Domain;

    /// <summary>Input value names; an empty string marks an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs => Proto.Input;

    /// <summary>Output value names.</summary>
    public IReadOnlyList<string> Outputs => Proto.Output;

    /// <summary>The name, or <c>OpType(first output)</c> when the exporter left it empty; used in messages.</summary>
    public string DisplayName => string.IsNullOrEmpty(Proto.Name) ? $"{OpType}({(Outputs.Count > 0 ? Outputs[0] : "?")})" : Proto.Name;

    /// <summary>True when the node holds a subgraph (If, Loop, Scan): passes treat such nodes as opaque.</summary>
    public bool HasSubgraph => Proto.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0);

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public AttributeProto? Attribute(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt(string name, long fallback) => Attribute(name) is { } a ? a.I : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public float GetFloat(string name, float fallback) => Attribute(name) is { } a ? a.F : fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string GetString(string name, string fallback) => Attribute(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An integer-list attribute, or null when absent.</summary>
    public IReadOnlyList<long>? GetInts(string name) => Attribute(name)?.Ints;

    /// <summary>Sets (or replaces) an integer attribute.</summary>
    public void SetInt(string name, long value) => SetAttribute(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>Sets (or replaces) an integer-list attribute.</summary>
    public void SetInts(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        SetAttribute(a);
    }

    /// <summary>Sets (or replaces) a float tensor attribute (e.g. ConstantOfShape's <c>value</c>).</summary>
    public void SetFloatTensor(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) =>
        SetAttribute(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = TensorData.FromFloats("", dims, values).Proto });

    /// <summary>Sets (or replaces) a string attribute.</summary>
    public void SetString(string name, string value) => SetAttribute(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>Sets (or replaces) an attribute.</summary>
    public void SetAttribute(AttributeProto attribute)
    {
        RemoveAttribute(attribute.Name);
        Proto.Attribute.Add(attribute);
    }

    /// <summary>Removes an attribute if present.</summary>
    public bool RemoveAttribute(string name)
    {
        for (int i = 0; i < Proto.Attribute.Count; i++)
        {
            if (Proto.Attribute[i].Name == name)
            {
                Proto.Attribute.RemoveAt(i);
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => $"{DisplayName} [{OpType}]";

    /// <summary>Whether the node has the attribute <paramref name="name"/>.</summary>
    public bool HasAttribute(string name) => Attribute(name) is not null;

    /// <summary>A tensor attribute (e.g. a Constant's <c>value</c>), wrapping the node's own tensor; null when absent.</summary>
    public TensorData? GetTensor(string name) => Attribute(name)?.T is { } t ? new TensorData(t) : null;

    /// <summary>A list-of-floats attribute, or null when absent.</summary>
    public IReadOnlyList<float>? GetFloats(string name) => Attribute(name)?.Floats;

    /// <summary>Sets (or replaces) a float attribute.</summary>
    public void SetFloat(string name, float value) => SetAttribute(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>Adds a copy of every attribute of <paramref name="other"/> (after this node's own).</summary>
    public void CopyAttributesFrom(Node other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var a in other.Proto.Attribute) Proto.Attribute.Add(a.Clone());
    }

    /// <summary>The node's documentation string ("" when none).</summary>
    public string DocString
    {
        get => Proto.DocString;
        set => Proto.DocString = value;
    }

    /// <summary>
    /// Changes the operator in place (an opset upgrade that only renames it); inputs, outputs and attributes stay.
    /// </summary>
    public void SetOpType(string opType) => Proto.OpType = opType;

    /// <summary>
    /// Drops inputs past the first <paramref name="count"/> without touching the owning graph's indexes; the caller
    /// refreshes them (e.g. with <see cref="ModelGraph.SetInput"/>).
    /// </summary>
    public void TruncateInputs(int count)
    {
        while (Proto.Input.Count > count) Proto.Input.RemoveAt(Proto.Input.Count - 1);
    }

    /// <summary>The subgraphs this node holds (If branches, Loop and Scan bodies), with the attribute holding each, in order.</summary>
    public IEnumerable<(string Attribute, ModelGraph Graph)> Subgraphs()
    {
        foreach (var attribute in Proto.Attribute)
        {
            var bodies = attribute.G is not null ? attribute.Graphs.Prepend(attribute.G) : attribute.Graphs;
            foreach (var body in bodies) yield return (attribute.Name, new ModelGraph(body));
        }
    }

    /// <summary>
    /// A Constant node's value as a new tensor (no name), or null when it has no single tensor-convertible value
    /// (sparse_value, value_string, value_strings, or a malformed node).
    /// </summary>
    public TensorData? ConstantValue()
    {
        if (Proto.Attribute.Count != 1)
            return null;
        var a = Proto.Attribute[0];
        switch (a.Name)
        {
            case "value" when a.T is not null:
                return new TensorData(a.T.Clone());
            case "value_float":
                return ConstantTensor(ElementType.Float, [], BitConverter.GetBytes(a.F));
            case "value_floats":
                return ConstantTensor(ElementType.Float, [a.Floats.Count], a.Floats.SelectMany(BitConverter.GetBytes).ToArray());
            case "value_int":
                return ConstantTensor(ElementType.Int64, [], BitConverter.GetBytes(a.I));
            case "value_ints":
                return ConstantTensor(ElementType.Int64, [a.Ints.Count], a.Ints.SelectMany(BitConverter.GetBytes).ToArray());
            default:
                return null;
        }
    }

    private static TensorData ConstantTensor(ElementType type, long[] dims, byte[] littleEndian)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Shrink requires a little-endian platform.");
        var t = new TensorProto { DataType = (int)type, RawData = ByteString.CopyFrom(littleEndian) };
        t.Dims.AddRange(dims);
        return new TensorData(t);
    }
}
