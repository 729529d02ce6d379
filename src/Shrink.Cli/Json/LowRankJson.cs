using Shrink.Methods.Pruning.LowRank;

namespace Shrink.Cli.Json;

/// <summary><c>shrink lowrank --json</c>: the factorization result with its options and files.</summary>
internal sealed record LowRankJson(
    string Model,
    string Output,
    double? Ratio,
    double? Energy,
    bool Whiten,
    long ParametersBefore,
    long ParametersAfter,
    long CandidateParametersBefore,
    long CandidateParametersAfter,
    long? ParameterBudget,
    string? Calibration,
    double Seconds,
    IReadOnlyList<LowRankLayerResult> Layers,
    IReadOnlyList<LeftNodeJson> LeftAlone)
{
    /// <summary>The payload for <paramref name="result"/> made with <paramref name="options"/>.</summary>
    public static LowRankJson From(LowRankResult result, LowRankOptions options, string model, string output) => new(
        model, output, options.Ratio, options.Energy, options.Whiten, result.ParametersBefore, result.ParametersAfter,
        result.CandidateParametersBefore, result.CandidateParametersAfter, result.ParameterBudget, result.Calibration,
        result.CalibrationSeconds + result.FactorSeconds, result.Layers, LeftNodeJson.From(result.LeftAlone));
}
