using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary><c>lowrank</c>: truncated-SVD factorization (<see cref="LowRankFactorizer"/>), as <c>shrink lowrank</c>.</summary>
[Registered("lowrank", "Low-rank factorization of Gemm/MatMul and 1×1 Conv weights by truncated SVD; options: LowRankOptions; whiten needs data", Order = 5)]
public sealed class LowRankMethod : CompressionMethod<LowRankOptions, LowRankResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(LowRankOptions options) => options.Whiten;

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(LowRankOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override LowRankResult Run(OnnxModel model, LowRankOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new LowRankFactorizer(options).Factorize(model, data, progress);
}
