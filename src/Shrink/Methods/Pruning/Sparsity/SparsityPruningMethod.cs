using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary><c>sparsity</c>: unstructured or N:M zeros (<see cref="SparsityPruner"/>), as <c>shrink prune --granularity unstructured|2:4|4:8</c>.</summary>
[Registered("sparsity", "Unstructured or N:M sparsity (zeros in the weights; the model keeps its shapes); options: SparsityOptions", Order = 4)]
public sealed class SparsityPruningMethod : CompressionMethod<SparsityOptions, SparsityResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(SparsityOptions options) => options.Reconstruct || options.Scope == SparsityScope.Sensitivity;

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(SparsityOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override SparsityResult Run(OnnxModel model, SparsityOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new SparsityPruner(options).Prune(model, data, progress);
}
