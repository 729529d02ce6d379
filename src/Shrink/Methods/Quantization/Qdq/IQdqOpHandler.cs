using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Marks what one op needs for QDQ quantization (activation inputs, weights, bias, output) in a <see cref="QdqPlan"/>.
/// Handlers only mark; <see cref="QdqInserter"/> writes the nodes. A handler class carrying
/// <see cref="Registration.RegisteredAttribute"/> is found by <see cref="QdqOpRegistry.Default"/>: it serves the catalog's
/// ops of its <see cref="Role"/> and the op types it names in <see cref="OpTypes"/>, so adding one is one new file and its test.
/// </summary>
public interface IQdqOpHandler
{
    /// <summary>The <see cref="OpSchema.QdqRole"/> whose catalog ops this handler marks, or null for none.</summary>
    QdqRole? Role => null;

    /// <summary>Op types (default ONNX domain) this handler marks whatever their catalog role (an explicit claim overrides the role's handler).</summary>
    IReadOnlyList<string> ClaimedOpTypes => [];

    /// <summary>Marks <paramref name="node"/>; returns null on success, or the reason it stays in float.</summary>
    string? Mark(Node node, QdqMarkContext context);
}
