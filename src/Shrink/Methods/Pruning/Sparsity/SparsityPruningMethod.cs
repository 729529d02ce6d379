using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>Unstructured and N:M sparsity as a registered method (<see cref="SparsityPruner"/>).</summary>
[Registered("prune-sparsity", "zeros in the weights, unstructured or N:M; the model keeps its shapes", Order = 4)]
public sealed class SparsityPruningMethod : ICompressionMethod<SparsityOptions, SparsityResult>
{
    /// <inheritdoc />
    public string Name => "prune-sparsity";

    /// <inheritdoc />
    public bool RequiresData => false;

    /// <inheritdoc />
    public SparsityResult Apply(OnnxModel model, SparsityOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new SparsityPruner(options).Prune(model, data, progress);
}
