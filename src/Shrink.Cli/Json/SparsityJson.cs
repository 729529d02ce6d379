using Shrink.Methods.Pruning.Sparsity;

namespace Shrink.Cli.Json;

/// <summary><c>shrink prune --json</c> with unstructured or N:M sparsity: the sparsity result with the files.</summary>
internal sealed record SparsityJson(
    string Model,
    string Output,
    string Granularity,
    string Mask,
    string Criterion,
    double Sparsity,
    long Weights,
    long NonzeroWeights,
    long NonzeroParametersBefore,
    long NonzeroParametersAfter,
    string? Calibration,
    double Seconds,
    IReadOnlyList<SparsityLayerResult> Layers,
    IReadOnlyList<LeftNodeJson> LeftDense)
{
    /// <summary>The payload for <paramref name="result"/> written from <paramref name="model"/> to <paramref name="output"/>.</summary>
    public static SparsityJson From(SparsityResult result, SparsityOptions options, string model, string output) => new(
        model, output, options.Granularity.ToString(), result.Mask, result.Criterion, result.Sparsity, result.Weights, result.NonzeroWeightsAfter,
        result.NonzeroParametersBefore, result.NonzeroParametersAfter, result.Calibration, result.CalibrationSeconds + result.PruningSeconds,
        result.Layers, LeftNodeJson.From(result.LeftDense));
}
