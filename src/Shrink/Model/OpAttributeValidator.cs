using Onnx;
using Shrink.Ops;

namespace Shrink.Model;

/// <summary>
/// Attribute and weight checks for well-known ops whose bad values would otherwise surface as a crash or a wrong
/// result in a later pass: convolutions (group, kernel, strides, pads, weight dims) and pooling windows.
/// </summary>
internal static class OpAttributeValidator
{
    /// <summary>True for the ops <see cref="Check"/> looks at.</summary>
    public static bool Applies(NodeProto node) =>
        GraphValidator.IsDefaultDomain(node.Domain) && node.OpType is OpTypes.Conv or OpTypes.ConvTranspose or OpTypes.MaxPool or OpTypes.AveragePool or OpTypes.LpPool;

    /// <summary>
    /// Throws <see cref="ShrinkException"/> (prefixed with <paramref name="where"/>) for an invalid attribute or weight.
    /// <paramref name="constants"/> holds the graph's initializers and Constant values; <paramref name="shapes"/> its
    /// declared value shapes.
    /// </summary>
    public static void Check(NodeProto node, string where, IReadOnlyDictionary<string, TensorProto> constants, IReadOnlyDictionary<string, ValueInfoProto> shapes)
    {
        RequirePositive(node, "kernel_shape", where);
        RequirePositive(node, "strides", where);
        RequirePositive(node, "dilations", where);
        RequireNonNegative(node, "pads", where);
        if (node.OpType is not (OpTypes.Conv or OpTypes.ConvTranspose)) return;

        long group = 1;
        if (Find(node, "group") is AttributeProto g)
        {
            if (g.Type is not (AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Undefined))
                throw new ShrinkException($"{where}: attribute 'group' must be an integer (it is {g.Type}).");
            group = g.I;
        }
        if (group < 1)
            throw new ShrinkException($"{where}: attribute group = {group}; it must be at least 1.");
        if (node.Input.Count < 2 || node.Input[1].Length == 0)
            throw new ShrinkException($"{where}: needs an input X and a weight W, but has {node.Input.Count} input(s).");
        if (!constants.TryGetValue(node.Input[1], out var weight)) return;

        string dims = $"[{string.Join(",", weight.Dims)}]";
        if (weight.Dims.Count < 3)
            throw new ShrinkException($"{where}: weight '{node.Input[1]}' has dims {dims}; a {node.OpType} weight has at least 3 (channels, channels, kernel...).");
        foreach (long d in weight.Dims)
        {
            if (d == 0)
                throw new ShrinkException($"{where}: weight '{node.Input[1]}' has dims {dims} with a zero dimension.");
        }
        // Conv: W is [M, C/group, k...]; ConvTranspose: W is [C, M/group, k...]. Either way dim 0 splits into groups.
        if (weight.Dims[0] % group != 0)
            throw new ShrinkException($"{where}: group = {group} does not divide the {weight.Dims[0]} {(node.OpType == "Conv" ? "output" : "input")} channels of weight '{node.Input[1]}' {dims}.");
        if (ChannelsOf(node.Input[0], shapes) is long channels)
        {
            long expected = node.OpType == OpTypes.Conv ? weight.Dims[1] * group : weight.Dims[0];
            if (channels != expected)
                throw new ShrinkException($"{where}: input '{node.Input[0]}' has {channels} channels, but weight '{node.Input[1]}' {dims} with group = {group} takes {expected}.");
        }
    }

    // Dim 1 (channels) of a value's declared shape, when it is a fixed number.
    private static long? ChannelsOf(string value, IReadOnlyDictionary<string, ValueInfoProto> shapes)
    {
        if (!shapes.TryGetValue(value, out var info)) return null;
        var shape = info.Type?.TensorType?.Shape;
        if (shape is null || shape.Dim.Count < 2) return null;
        var dim = shape.Dim[1];
        return dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && dim.DimValue > 0 ? dim.DimValue : null;
    }

    private static void RequirePositive(NodeProto node, string name, string where)
    {
        if (Find(node, name) is not AttributeProto a) return;
        foreach (long v in Ints(a, where))
        {
            if (v <= 0)
                throw new ShrinkException($"{where}: attribute {name} = [{string.Join(",", a.Ints)}]; every entry must be at least 1.");
        }
    }

    private static void RequireNonNegative(NodeProto node, string name, string where)
    {
        if (Find(node, name) is not AttributeProto a) return;
        foreach (long v in Ints(a, where))
        {
            if (v < 0)
                throw new ShrinkException($"{where}: attribute {name} = [{string.Join(",", a.Ints)}]; entries must not be negative.");
        }
    }

    private static IEnumerable<long> Ints(AttributeProto a, string where) =>
        a.Type is AttributeProto.Types.AttributeType.Ints or AttributeProto.Types.AttributeType.Undefined
            ? a.Ints
            : throw new ShrinkException($"{where}: attribute '{a.Name}' must be a list of integers (it is {a.Type}).");

    private static AttributeProto? Find(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
            if (a.Name == name) return a;
        return null;
    }
}
