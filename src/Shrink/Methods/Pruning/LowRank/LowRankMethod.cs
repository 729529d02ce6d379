using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary>Truncated-SVD factorization as a registered method (<see cref="LowRankFactorizer"/>).</summary>
[Registered("lowrank", "factor Gemm/MatMul and 1×1 Conv weights by truncated SVD into two smaller ops", Order = 5)]
public sealed class LowRankMethod : ICompressionMethod<LowRankOptions, LowRankResult>
{
    /// <inheritdoc />
    public string Name => "lowrank";

    /// <inheritdoc />
    public bool RequiresData => false;

    /// <inheritdoc />
    public LowRankResult Apply(OnnxModel model, LowRankOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new LowRankFactorizer(options).Factorize(model, data, progress);
}
