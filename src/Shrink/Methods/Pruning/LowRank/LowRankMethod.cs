using Shrink.Registration;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary>Truncated-SVD factorization as a registered method (<see cref="LowRankFactorizer"/>).</summary>
[Registered("lowrank", "factor Gemm/MatMul and 1×1 Conv weights by truncated SVD into two smaller ops", Order = 5)]
public sealed class LowRankMethod() : CompressionMethod<LowRankOptions, LowRankResult>((model, options, data, progress) =>
    new LowRankFactorizer(options).Factorize(model, data, progress));
