using Google.Protobuf;
using Onnx;

namespace Shrink.Ops.Backward;

/// <summary>Attribute values for nodes that backward rules and losses write.</summary>
public static class OnnxAttribute
{
    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute.</summary>
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
