namespace Shrink.Methods.Pruning.LowRank;

/// <summary>The outcome of low-rank factorization. <c>Layers</c>: the candidate layers (Gemm, MatMul, 1×1 Conv) in graph order, factored or not.</summary>
public sealed class LowRankResult : LayerwiseResult<LowRankOptions, LowRankLayerResult>
{
    /// <summary>Weighted layers that are not candidates, with the reason.</summary>
    public required IReadOnlyList<(string Name, string OpType, string Reason)> LeftAlone { get; init; }

    /// <summary>Float parameters of the whole model before (every float initializer).</summary>
    public long ParametersBefore { get; init; }

    /// <summary>Float parameters of the whole model after.</summary>
    public long ParametersAfter { get; init; }

    /// <summary>Weight parameters (Σ N·K) of the candidate layers before: what <see cref="LowRankOptions.Ratio"/> is a fraction of.</summary>
    public long CandidateParametersBefore { get; init; }

    /// <summary>Weight parameters of the candidate layers after (r·(N + K) where factored, N·K where left whole).</summary>
    public long CandidateParametersAfter { get; init; }

    /// <summary>The candidate layers' parameter budget, ⌊Ratio × <see cref="CandidateParametersBefore"/>⌋; null with an energy threshold.</summary>
    public long? ParameterBudget { get; init; }

    /// <summary>Seconds spent decomposing.</summary>
    public double FactorSeconds { get; init; }
}
