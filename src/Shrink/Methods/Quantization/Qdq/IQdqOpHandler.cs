using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Marks what one op needs for QDQ quantization (activation inputs, weights, bias, output) in a <see cref="QdqPlan"/>.
/// Handlers only mark; <see cref="QdqInserter"/> writes the nodes.
/// </summary>
public interface IQdqOpHandler
{
    /// <summary>Marks <paramref name="node"/>; returns null on success, or the reason it stays in float.</summary>
    string? Mark(Node node, QdqMarkContext context);
}
