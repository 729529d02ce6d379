using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// The sparsity criteria by name: every <see cref="ISparsityCriterion"/> class marked <see cref="RegisteredAttribute"/>
/// (adding one is one new file). Names match case-insensitively.
/// </summary>
public static class SparsityCriteria
{
    /// <summary>The registered criteria.</summary>
    public static Registry<ISparsityCriterion> Registry { get; } = Registry<ISparsityCriterion>.Discover("sparsity criterion");

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Names;

    /// <summary>
    /// The global ranking without calibration data: <c>magnitude</c> (|w|, as PyTorch) when the model normalizes its
    /// activations by LayerNormalization (a LayerNormalization-family op, or the exported ReduceMean/Sqrt/Div form) and
    /// has no BatchNormalization, since the weights then share one scale (vit_tiny at 50%: 0.8314 top-1 with |w|, 0.8274
    /// with LAMP, 0.8440 with noise-lamp, but at 70% 0.5722 with |w| against 0.5271 with noise-lamp); <c>noise-lamp</c>
    /// otherwise: conv nets carry BatchNormalization folded into their weights (by the exporter or by the
    /// pre-processing), which makes raw |w| incomparable between layers (resnet8 at 70%: 0.102 with |w|, 0.762 with
    /// LAMP, 0.790 with noise-lamp, PyTorch's L1 on the unfolded model 0.7727; cnn_small at 90%: 0.896, 0.898 and 0.897).
    /// </summary>
    public static string DataFreeDefault(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ops = model.Graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);
        bool layerNorm = LayerNormOps.Overlaps(ops) || (ops.Contains(OpTypes.ReduceMean) && ops.Contains(OpTypes.Sqrt) && ops.Contains(OpTypes.Div));
        return layerNorm && !ops.Contains(OpTypes.BatchNormalization) ? "magnitude" : "noise-lamp";
    }

    private static readonly HashSet<string> LayerNormOps = new(StringComparer.Ordinal)
    {
        OpTypes.LayerNormalization, OpTypes.SimplifiedLayerNormalization, OpTypes.SkipLayerNormalization, OpTypes.SkipSimplifiedLayerNormalization, OpTypes.RMSNormalization,
    };

    /// <summary>Creates the criterion called <paramref name="name"/> (case-insensitively).</summary>
    /// <exception cref="ShrinkException">No criterion has that name.</exception>
    public static ISparsityCriterion Create(string name) => Registry.Create(Registry.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name);
}
