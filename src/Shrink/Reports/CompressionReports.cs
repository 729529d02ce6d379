using Shrink.Methods;
using Shrink.Methods.Pruning.LowRank;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Reports;

/// <summary>
/// The report of any registered method's result (<see cref="ICompressionMethod.Apply"/>), as the method's own command
/// writes it; <c>shrink run</c> combines one per recipe step. Reports live here, not with the methods, so that methods
/// do not depend on reports.
/// </summary>
public static class CompressionReports
{
    /// <summary>
    /// The report of <paramref name="result"/>; <paramref name="input"/> and <paramref name="output"/> name the files,
    /// <paramref name="inputBytes"/> and <paramref name="outputBytes"/> are the model sizes before and after.
    /// </summary>
    public static Report Build(ICompressionResult result, string input, string output, long inputBytes, long outputBytes) => result switch
    {
        QuantizationResult r => QuantizationReport.Build(r, input, output, inputBytes, outputBytes),
        WeightOnlyResult r => WeightOnlyReport.Build(r, input, output, inputBytes, outputBytes),
        ChannelPruningResult r => ChannelPruningReport.Build(r, input, output, inputBytes, outputBytes),
        SparsityResult r => SparsityReport.Build(r, input, output),
        LowRankResult r => LowRankReport.Build(r, input, output),
        _ => throw new ArgumentException($"No report for a {result?.GetType().Name ?? "null"} result; add it to {nameof(CompressionReports)}.", nameof(result)),
    };
}
