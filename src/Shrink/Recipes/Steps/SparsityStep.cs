using Shrink.Data;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Reports;

namespace Shrink.Recipes.Steps;

/// <summary><c>sparsity</c>: unstructured or N:M zeros (<see cref="SparsityPruner"/>), as <c>shrink prune --granularity unstructured|2:4|4:8</c>.</summary>
[Registered("sparsity", "Unstructured or N:M sparsity (zeros in the weights); options: SparsityOptions", Order = 4)]
public sealed class SparsityStep : RecipeMethod<SparsityOptions>
{
    /// <inheritdoc />
    protected override bool NeedsData(SparsityOptions options) => options.Reconstruct || options.Scope == SparsityScope.Sensitivity;

    /// <inheritdoc />
    protected override void Check(SparsityOptions options) { }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(SparsityOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override RecipeStepResult Apply(OnnxModel model, SparsityOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output)
    {
        var result = new SparsityPruner(options).Prune(model, openData, progress);
        return new RecipeStepResult(result.Model, (inBytes, outBytes) => SparsityReport.Build(result, input, output));
    }
}
