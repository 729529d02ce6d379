using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Validation;

/// <summary>Detects models that are already quantized, which no method compresses again.</summary>
public static class AlreadyQuantized
{
    /// <summary>
    /// Refuses models that are already quantized, naming the first quantized node; <paramref name="action"/> is what the
    /// caller does (quantize, prune, factor), for the advice to do it on the float model instead.
    /// </summary>
    /// <exception cref="ShrinkException">The model holds a quantized node.</exception>
    public static void Refuse(OnnxModel model, string source, string action = "quantize")
    {
        ArgumentNullException.ThrowIfNull(model);
        var node = model.Graph.Nodes.FirstOrDefault(n => OpCatalog.QuantizedModelOps.Contains(n.OpType));
        if (node is not null)
            throw new ShrinkException($"{source}: the model is already quantized (node '{node.DisplayName}' is {node.OpType}); {action} the float model instead.");
    }
}
