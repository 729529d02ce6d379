using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// The channel dependency graph of a model (after Torch-Pruning's DepGraph, on ONNX): every Conv/ConvTranspose/Gemm/MatMul
/// with a constant weight creates a group of output channels; the channels flow through BatchNormalization, elementwise
/// activations, pooling, Flatten/Reshape (as blocks of H·W positions) and Concat (as offset segments) to the weights that
/// read them; residual Add/Mul and Where (a masked_fill) tie the groups of their operands into one. A MatMul whose output a Reshape splits into
/// attention heads ([B, T, 3, H, dh] or [B, T, H, dh]) makes a group of heads instead of channels: the heads then flow
/// through Transpose, Split, Softmax and the two attention MatMuls (where q, k and v tie) back to the output projection.
/// Anything not proved safe (an unknown op, a grouped conv, a Reshape that mixes channels, a value that reaches a graph
/// output) leaves the groups involved alone, with the reason. Building the graph does not change the model. The rule at
/// each op comes from its <see cref="Shrink.Ops.OpSchema.ChannelFlow"/> (see <see cref="ChannelDependencyBuilder"/>).
/// </summary>
public sealed class ChannelDependencyGraph
{
    internal ChannelDependencyGraph(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<ChannelTensorSlice> slices,
        IReadOnlyList<ChannelAttributeEdit> attributeEdits, IReadOnlyDictionary<string, ChannelLayout> layouts,
        IReadOnlyList<ChannelInterfaceSlice>? interfaceSlices = null)
    {
        InterfaceSlices = interfaceSlices ?? [];
        Groups = groups;
        Slices = slices;
        AttributeEdits = attributeEdits;
        Layouts = layouts;
    }

    /// <summary>All channel groups, prunable or not.</summary>
    public IReadOnlyList<ChannelGroup> Groups { get; }

    /// <summary>Every initializer axis that channel removal gathers.</summary>
    public IReadOnlyList<ChannelTensorSlice> Slices { get; }

    /// <summary>Attribute and shape-constant rewrites that channel removal needs.</summary>
    public IReadOnlyList<ChannelAttributeEdit> AttributeEdits { get; }

    /// <summary>
    /// The graph inputs and outputs whose declared shapes channel removal changes: a decoder's KV cache (past inputs and
    /// present outputs), whose head axis loses the removed heads. Empty for every other model.
    /// </summary>
    public IReadOnlyList<ChannelInterfaceSlice> InterfaceSlices { get; }

    /// <summary>The channel layout of every value that carries grouped channels.</summary>
    public IReadOnlyDictionary<string, ChannelLayout> Layouts { get; }

    /// <summary>
    /// Builds the graph of <paramref name="model"/>. <paramref name="shapes"/> are measured value shapes (any batch size;
    /// see <c>ValueShapeProbe</c>): Flatten/Reshape need them to prove that channels stay whole.
    /// </summary>
    public static ChannelDependencyGraph Build(OnnxModel model, IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shapes);
        return new ChannelDependencyBuilder(model.Graph, shapes).Run();
    }
}
