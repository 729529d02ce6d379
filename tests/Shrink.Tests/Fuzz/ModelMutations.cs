using Google.Protobuf;
using Onnx;
using Shrink.Tests.TestSupport;
using static Onnx.AttributeProto.Types;

namespace Shrink.Tests.Fuzz;

/// <summary>
/// Structural mutations of an ONNX model through its protobuf types. Each changes the model in place and returns false
/// when it does not apply (say, no node with attributes).
/// </summary>
internal static class ModelMutations
{
    public sealed record Mutation(string Kind, Func<ModelProto, Random, bool> Apply);

    public static readonly Mutation[] All =
    [
        new("drop node", (m, r) => Remove(m.Graph.Node, r)),
        new("duplicate node", (m, r) => Duplicate(m.Graph.Node, r)),
        new("drop graph input", (m, r) => Remove(m.Graph.Input, r)),
        new("duplicate graph input", (m, r) => Duplicate(m.Graph.Input, r)),
        new("drop graph output", (m, r) => Remove(m.Graph.Output, r)),
        new("duplicate graph output", (m, r) => Duplicate(m.Graph.Output, r)),
        new("drop initializer", (m, r) => Remove(m.Graph.Initializer, r)),
        new("duplicate initializer", (m, r) => Duplicate(m.Graph.Initializer, r)),
        new("initializer dims wrong", (m, r) => EditInitializer(m, r, t => t.Dims.Add(2))),
        new("initializer dim negative", (m, r) => EditInitializer(m, r, t => SetDim(t.Dims, r, -3))),
        new("initializer dim zero", (m, r) => EditInitializer(m, r, t => SetDim(t.Dims, r, 0))),
        new("initializer dim huge", (m, r) => EditInitializer(m, r, t => SetDim(t.Dims, r, r.Next(2) == 0 ? 1L << 40 : long.MaxValue))),
        new("input dim negative", (m, r) => EditInputDim(m, r, -1)),
        new("input dim zero", (m, r) => EditInputDim(m, r, 0)),
        new("input dim huge", (m, r) => EditInputDim(m, r, r.Next(2) == 0 ? 1L << 40 : long.MaxValue)),
        new("input rank wrong", (m, r) => EditInput(m, r, s => s.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 3 }))),
        new("initializer dtype wrong", (m, r) => EditInitializer(m, r, t => t.DataType = Pick(r, 0, 7, 11, 8, 999, 16))),
        new("input dtype wrong", (m, r) => EditInput(m, r, _ => { }, elemType: Pick(r, 0, 7, 8, 999, 11))),
        new("output dtype wrong", (m, r) => Any(m.Graph.Output, r, o => o.Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Pick(r, 0, 7, 999) } })),
        new("attribute dropped", (m, r) => AnyNode(m, r, n => n.Attribute.Count > 0, n => n.Attribute.RemoveAt(r.Next(n.Attribute.Count)))),
        new("attribute type wrong", (m, r) => AnyNode(m, r, n => n.Attribute.Count > 0, n => WrongType(n.Attribute[r.Next(n.Attribute.Count)]))),
        new("attribute value bad", (m, r) => AnyNode(m, r, n => n.Attribute.Count > 0, n => BadValue(n.Attribute[r.Next(n.Attribute.Count)], r))),
        new("attribute duplicated", (m, r) => AnyNode(m, r, n => n.Attribute.Count > 0, n => n.Attribute.Add(n.Attribute[0].Clone()))),
        new("attribute unknown", (m, r) => AnyNode(m, r, _ => true, n => n.Attribute.Add(new AttributeProto { Name = r.Next(2) == 0 ? "" : "bogus", Type = AttributeType.Int, I = 7 }))),
        new("opset duplicated", (m, r) => { m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Pick(r, 7, 13, 17) }); return true; }),
        new("opset 0", (m, _) => SetOpset(m, 0)),
        new("opset 99", (m, _) => SetOpset(m, 99)),
        new("opset missing", (m, _) => { m.OpsetImport.Clear(); return true; }),
        new("ir version bad", (m, r) => { m.IrVersion = Pick(r, 0, -1, 99); return true; }),
        new("graph missing", (m, _) => { m.Graph = null; return true; }),
        new("raw data short", (m, r) => EditInitializer(m, r, t => t.RawData.Length > 0, t => t.RawData = ByteString.CopyFrom(t.RawData.Span[..(t.RawData.Length / 2)]))),
        new("raw data long", (m, r) => EditInitializer(m, r, t => t.RawData.Length > 0, t => t.RawData = ByteString.CopyFrom([.. t.RawData.Span, .. new byte[5]]))),
        new("raw data odd", (m, r) => EditInitializer(m, r, t => t.RawData.Length > 0, t => t.RawData = ByteString.CopyFrom(t.RawData.Span[..^1]))),
        new("typed and raw data", (m, r) => EditInitializer(m, r, t => t.RawData.Length > 0, t => t.FloatData.Add(1f))),
        new("cycle", (m, r) => Cycle(m, r)),
        new("self loop", (m, r) => AnyNode(m, r, n => n.Input.Count > 0 && n.Output.Count > 0, n => n.Input[0] = n.Output[0])),
        new("input names unknown tensor", (m, r) => AnyNode(m, r, n => n.Input.Count > 0, n => n.Input[r.Next(n.Input.Count)] = "no_such_tensor")),
        new("output name empty", (m, r) => AnyNode(m, r, n => n.Output.Count > 0, n => n.Output[0] = "")),
        new("two producers", (m, r) => AnyNode(m, r, n => n.Output.Count > 0 && m.Graph.Input.Count > 0, n => n.Output[0] = m.Graph.Input[0].Name)),
        new("op unknown", (m, r) => AnyNode(m, r, _ => true, n => n.OpType = Pick(r, "", "NoSuchOp", "conv"))),
        new("domain unknown", (m, r) => AnyNode(m, r, _ => true, n => n.Domain = Pick(r, "com.example", "ai.onnx.ml", "com.microsoft"))),
        new("subgraph names unknown tensor", (m, r) => AddIfWithGhostSubgraph(m, r)),
        new("value_info wrong", (m, r) => Any(m.Graph.ValueInfo, r, v => v.Type = TinyModels.FloatInfo(v.Name, 9, 9, 9, 9, 9).Type)),
        new("name collision", (m, r) => EditInitializer(m, r, t => m.Graph.Input.Count > 0, t => t.Name = m.Graph.Input[0].Name)),
        new("string initializer", (m, r) => EditInitializer(m, r, t => { t.DataType = (int)TensorProto.Types.DataType.String; t.RawData = ByteString.Empty; t.StringData.Add(ByteString.CopyFromUtf8("x")); })),
    ];

    private static T Pick<T>(Random r, params T[] values) => values[r.Next(values.Length)];

    private static bool Remove<T>(Google.Protobuf.Collections.RepeatedField<T> list, Random r)
    {
        if (list.Count == 0) return false;
        list.RemoveAt(r.Next(list.Count));
        return true;
    }

    private static bool Duplicate<T>(Google.Protobuf.Collections.RepeatedField<T> list, Random r) where T : IDeepCloneable<T>
    {
        if (list.Count == 0) return false;
        int i = r.Next(list.Count);
        list.Insert(r.Next(list.Count + 1), list[i].Clone());
        return true;
    }

    private static bool Any<T>(Google.Protobuf.Collections.RepeatedField<T> list, Random r, Action<T> edit)
    {
        if (list.Count == 0) return false;
        edit(list[r.Next(list.Count)]);
        return true;
    }

    private static bool AnyNode(ModelProto m, Random r, Func<NodeProto, bool> where, Action<NodeProto> edit)
    {
        var nodes = m.Graph?.Node.Where(where).ToArray() ?? [];
        if (nodes.Length == 0) return false;
        edit(nodes[r.Next(nodes.Length)]);
        return true;
    }

    private static bool EditInitializer(ModelProto m, Random r, Action<TensorProto> edit) => EditInitializer(m, r, _ => true, edit);

    private static bool EditInitializer(ModelProto m, Random r, Func<TensorProto, bool> where, Action<TensorProto> edit)
    {
        var tensors = m.Graph?.Initializer.Where(where).ToArray() ?? [];
        if (tensors.Length == 0) return false;
        edit(tensors[r.Next(tensors.Length)]);
        return true;
    }

    private static void SetDim(Google.Protobuf.Collections.RepeatedField<long> dims, Random r, long value)
    {
        if (dims.Count == 0) dims.Add(value);
        else dims[r.Next(dims.Count)] = value;
    }

    private static bool EditInput(ModelProto m, Random r, Action<TensorShapeProto> edit, int? elemType = null)
    {
        var inputs = m.Graph?.Input.Where(i => i.Type?.TensorType?.Shape is not null).ToArray() ?? [];
        if (inputs.Length == 0) return false;
        var tensor = inputs[r.Next(inputs.Length)].Type.TensorType;
        edit(tensor.Shape);
        if (elemType is int t) tensor.ElemType = t;
        return true;
    }

    private static bool EditInputDim(ModelProto m, Random r, long value) => EditInput(m, r, s =>
    {
        if (s.Dim.Count == 0) return;
        s.Dim[r.Next(s.Dim.Count)] = new TensorShapeProto.Types.Dimension { DimValue = value };
    });

    private static bool SetOpset(ModelProto m, long version)
    {
        foreach (var o in m.OpsetImport.Where(o => o.Domain.Length == 0)) o.Version = version;
        return true;
    }

    private static void WrongType(AttributeProto a)
    {
        // The value stays where it was; the declared type no longer says so.
        a.Type = a.Type switch
        {
            AttributeType.Ints => AttributeType.Int,
            AttributeType.Int => AttributeType.Floats,
            AttributeType.Float => AttributeType.String,
            AttributeType.Tensor => AttributeType.Graph,
            _ => AttributeType.Undefined,
        };
    }

    private static void BadValue(AttributeProto a, Random r)
    {
        switch (a.Type)
        {
            case AttributeType.Ints:
                if (a.Ints.Count == 0 || r.Next(3) == 0) { a.Ints.Clear(); a.Ints.Add(Pick(r, 0L, -1L, 1L << 40)); }
                else a.Ints[r.Next(a.Ints.Count)] = Pick(r, 0L, -2L, 1L << 40, long.MinValue);
                break;
            case AttributeType.Int:
                a.I = Pick(r, 0L, -1L, 1L << 40, long.MaxValue);
                break;
            case AttributeType.Float:
                a.F = Pick(r, float.NaN, float.PositiveInfinity, -1f, 0f);
                break;
            case AttributeType.Tensor when a.T is not null:
                a.T.Dims.Add(7);
                break;
            default:
                a.S = ByteString.CopyFrom(0xFF, 0xFE, 0x00);
                break;
        }
    }

    private static bool Cycle(ModelProto m, Random r)
    {
        var nodes = m.Graph?.Node;
        if (nodes is null || nodes.Count < 2) return false;
        int early = r.Next(nodes.Count - 1), late = early + 1 + r.Next(nodes.Count - early - 1);
        if (nodes[early].Input.Count == 0 || nodes[late].Output.Count == 0) return false;
        nodes[early].Input[0] = nodes[late].Output[0];
        return true;
    }

    private static bool AddIfWithGhostSubgraph(ModelProto m, Random r)
    {
        if (m.Graph is null || m.Graph.Output.Count == 0) return false;
        var output = m.Graph.Output[0];
        string producerOutput = output.Name;
        var producer = m.Graph.Node.FirstOrDefault(n => n.Output.Contains(producerOutput));
        if (producer is null) return false;
        // The original producer now writes 'pre'; an If picks 'pre' or a tensor nobody defines.
        producer.Output[producer.Output.IndexOf(producerOutput)] = "pre_if";
        m.Graph.Initializer.Add(TinyModels.RawTensor("if_cond", (int)TensorProto.Types.DataType.Bool, [], [1]));
        GraphProto Branch(string name, string reads)
        {
            var g = new GraphProto { Name = name };
            g.Node.Add(TinyModels.Node("Identity", [reads], [name + "_out"], name + "_identity"));
            g.Output.Add(new ValueInfoProto { Name = name + "_out", Type = output.Type?.Clone() });
            return g;
        }
        var node = TinyModels.Node("If", ["if_cond"], [producerOutput], "fuzz_if");
        node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeType.Graph, G = Branch("then", "pre_if") });
        node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeType.Graph, G = Branch("else", r.Next(2) == 0 ? "ghost_tensor" : "") });
        m.Graph.Node.Add(node);
        return true;
    }
}
