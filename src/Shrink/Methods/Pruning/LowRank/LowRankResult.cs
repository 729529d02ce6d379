using Shrink.Model;

namespace Shrink.Methods.Pruning.LowRank;

/// <summary>The outcome of low-rank factorization.</summary>
public sealed class LowRankResult : ICompressionResult
{
    /// <summary>The factored model.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>The options used.</summary>
    public required LowRankOptions Options { get; init; }

    /// <summary>Pre-processing that changed the graph (constant promotion, BatchNormalization folding, opset upgrade).</summary>
    public required IReadOnlyList<string> Preprocessing { get; init; }

    /// <summary>Candidate layers (Gemm, MatMul, 1×1 Conv) in graph order, factored or not.</summary>
    public required IReadOnlyList<LowRankLayerResult> Layers { get; init; }

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

    /// <summary>Calibration summary, or null when no data was used.</summary>
    public string? Calibration { get; init; }

    /// <summary>Seconds spent collecting layer inputs.</summary>
    public double CalibrationSeconds { get; init; }

    /// <summary>Seconds spent decomposing.</summary>
    public double FactorSeconds { get; init; }
}
