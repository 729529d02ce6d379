namespace Shrink.Methods.Pruning.LowRank;

/// <summary>What happened to one candidate layer.</summary>
/// <param name="Name">The node's display name.</param>
/// <param name="OpType">Gemm, MatMul or Conv (1×1).</param>
/// <param name="Rows">Output channels (N).</param>
/// <param name="Cols">Reduction length (K).</param>
/// <param name="Rank">The rank it was factored to, or null when it was left alone.</param>
/// <param name="ParametersBefore">N·K.</param>
/// <param name="ParametersAfter">r·(N + K) when factored, else N·K.</param>
/// <param name="EnergyKept">Fraction of Σσ² the kept singular values hold (of W, or of W·S when whitening).</param>
/// <param name="OutputError">Relative output error ‖(W − Ŵ)X‖²/‖WX‖² on the calibration inputs, or null without data.</param>
/// <param name="Note">Why the layer was left alone, or null.</param>
public sealed record LowRankLayerResult(string Name, string OpType, int Rows, int Cols, int? Rank, long ParametersBefore, long ParametersAfter,
    double EnergyKept, double? OutputError, string? Note);
