using Onnx;

namespace Shrink.Onnx;

/// <summary>Structural checks run on every loaded model, so later passes can trust what they read.</summary>
internal static class ModelValidator
{
    public static void Validate(ModelProto model, string source)
    {
        if (model.Graph is null)
            throw new ShrinkException($"{source}: not an ONNX model (no graph); the file may be truncated or of another format.");
        if (model.IrVersion <= 0 || model.IrVersion > 64)
            throw new ShrinkException($"{source}: not an ONNX model (ir_version {model.IrVersion}); the file may be corrupt.");
        if (model.OpsetImport.Count == 0 && model.IrVersion >= 3)
            throw new ShrinkException($"{source}: the model declares no opset_import.");
        foreach (var (tensor, where) in TensorProtoWalker.All(model))
            new Graph.TensorData(tensor).Validate($"{source}: {where}");
        ValidateGraph(model.Graph, source);
    }

    private static void ValidateGraph(GraphProto graph, string source)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var i in graph.Input) defined.Add(i.Name);
        foreach (var t in graph.Initializer) defined.Add(t.Name);
        foreach (var s in graph.SparseInitializer) if (s.Values is not null) defined.Add(s.Values.Name);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (string.IsNullOrEmpty(node.OpType))
                throw new ShrinkException($"{source}: node '{node.Name}' has no op_type.");
            foreach (var o in node.Output)
            {
                if (o.Length > 0 && !produced.Add(o))
                    throw new ShrinkException($"{source}: value '{o}' is produced twice (second time by node {Describe(node)}).");
            }
        }
        defined.UnionWith(produced);
        foreach (var node in graph.Node)
        {
            foreach (var i in node.Input)
            {
                if (!defined.Contains(i))
                    throw new ShrinkException($"{source}: node {Describe(node)} reads '{i}', which no input, initializer or node defines.");
            }
        }
        foreach (var o in graph.Output)
        {
            if (!defined.Contains(o.Name))
                throw new ShrinkException($"{source}: graph output '{o.Name}' is not produced by any node, input or initializer.");
        }
    }

    private static string Describe(NodeProto node) => $"'{(node.Name.Length > 0 ? node.Name : "(unnamed)")}' ({node.OpType})";
}
