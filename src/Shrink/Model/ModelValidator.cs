using Onnx;

namespace Shrink.Model;

/// <summary>
/// Structural checks run on every loaded model (and every model built in code), so later passes can trust what they
/// read: one pass, linear in the size of the model. Each refusal is a <see cref="ShrinkException"/> naming the file and
/// the tensor, value, node or opset at fault.
/// </summary>
internal static class ModelValidator
{
    /// <summary>
    /// The newest default-domain (ai.onnx) opset the bundled ONNX Runtime implements; models importing a newer one are
    /// refused at load rather than deep inside a command. A test checks it against the runtime.
    /// </summary>
    internal const long MaxDefaultOpset = 26;

    public static void Validate(ModelProto model, string source)
    {
        if (model.Graph is null)
            throw new ShrinkException($"{source}: not an ONNX model (no graph); the file may be truncated or of another format.");
        if (model.IrVersion <= 0 || model.IrVersion > 64)
            throw new ShrinkException($"{source}: not an ONNX model (ir_version {model.IrVersion}); the file may be corrupt.");
        ValidateOpsets(model, source);
        foreach (var (tensor, where) in TensorProtoWalker.All(model))
        {
            ValidateDataFields(tensor, $"{source}: {where}");
            new Model.TensorData(tensor).Validate($"{source}: {where}");
        }
        ValidateInputShapes(model.Graph, source);
        if (model.Graph.Output.Count == 0)
            throw new ShrinkException($"{source}: the graph declares no outputs; a model must produce at least one.");
        GraphValidator.Validate(model.Graph, source);
    }

    private static void ValidateOpsets(ModelProto model, string source)
    {
        if (model.OpsetImport.Count == 0 && model.IrVersion >= 3)
            throw new ShrinkException($"{source}: the model declares no opset_import.");
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var o in model.OpsetImport)
        {
            string domain = o.Domain.Length == 0 ? "ai.onnx" : o.Domain;
            if (!seen.TryAdd(domain, o.Version))
                throw new ShrinkException($"{source}: the model imports the '{domain}' opset twice (versions {seen[domain]} and {o.Version}); each domain may be imported once (\"\" and \"ai.onnx\" are the same domain).");
            if (o.Version < 1)
                throw new ShrinkException($"{source}: the model imports the '{domain}' opset at version {o.Version}; opset versions start at 1.");
            if (domain == "ai.onnx" && o.Version > MaxDefaultOpset)
                throw new ShrinkException($"{source}: the model imports the 'ai.onnx' opset at version {o.Version}, but the bundled ONNX Runtime implements versions up to {MaxDefaultOpset}.");
        }
    }

    // A tensor keeps its data in exactly one place; with two, readers disagree on which one counts.
    private static void ValidateDataFields(TensorProto tensor, string where)
    {
        var fields = new List<string>(2);
        if (tensor.RawData.Length > 0) fields.Add("raw_data");
        if (tensor.FloatData.Count > 0) fields.Add("float_data");
        if (tensor.Int32Data.Count > 0) fields.Add("int32_data");
        if (tensor.StringData.Count > 0) fields.Add("string_data");
        if (tensor.Int64Data.Count > 0) fields.Add("int64_data");
        if (tensor.DoubleData.Count > 0) fields.Add("double_data");
        if (tensor.Uint64Data.Count > 0) fields.Add("uint64_data");
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External && fields.Count > 0)
            throw new ShrinkException($"{where}: tensor '{tensor.Name}' refers to external data but also holds {fields[0]}; a tensor stores its data in one place.");
        if (fields.Count > 1)
            throw new ShrinkException($"{where}: tensor '{tensor.Name}' holds data in both {fields[0]} and {fields[1]}; a tensor stores its data in one place.");
    }

    // Inputs the caller feeds: a negative fixed dimension cannot be fed (and would overflow size arithmetic later).
    private static void ValidateInputShapes(GraphProto graph, string source)
    {
        HashSet<string>? initializers = null;
        foreach (var input in graph.Input)
        {
            var shape = input.Type?.TensorType?.Shape;
            if (shape is null) continue;
            for (int axis = 0; axis < shape.Dim.Count; axis++)
            {
                var dim = shape.Dim[axis];
                if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dim.DimValue >= 0) continue;
                initializers ??= new HashSet<string>(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
                if (initializers.Contains(input.Name)) continue; // an input with a default value: the initializer's own dims were checked
                throw new ShrinkException($"{source}: input '{input.Name}' declares dimension {dim.DimValue} at axis {axis}; dimensions must be non-negative (or symbolic).");
            }
        }
    }
}
