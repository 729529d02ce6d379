using System.CommandLine;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Methods.Pruning.LowRank;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink lowrank</c>: truncated-SVD factorization of Gemm/MatMul and 1×1 Conv weights into two smaller ops.</summary>
internal static class LowRankCommand
{
    public static Command Create()
    {
        var head = new CompressionArguments("Where to write the factored model");
        var (report, json, data, evaluate) = (head.Report, head.Json, head.Data, head.Evaluate);
        var ratio = new Option<double?>("--ratio") { Description = "Keep this fraction of the candidate layers' weight parameters (Σ N·K of the Gemm/MatMul/1×1 Conv weights, not of the whole model); ranks are split across layers to minimize the summed fraction of discarded singular-value energy, and a layer may stay whole" };
        var energy = new Option<double?>("--energy") { Description = "Per layer, keep the smallest rank holding this fraction of the singular-value energy Σσ² (factored only where that saves parameters)" };
        var whiten = new Option<bool>("--whiten") { Description = "Data-aware: decompose W·S with S = chol(XᵀX) from --data, which minimizes the output error instead of the weight error" };
        var excludeNodes = new Option<string?>("--exclude-nodes") { Description = "Comma-separated node names to leave alone" };
        var command = head.Create("lowrank", "Factor Gemm/MatMul (and 1×1 Conv) weights by truncated SVD into two smaller ops, by a parameter budget over those layers or a per-layer energy threshold.",
            ratio, energy, whiten, excludeNodes);
        command.SetAction(parse =>
        {
            using var outputs = head.Begin(parse, out string input, out string outPath);
            double? r = parse.GetValue(ratio), e = parse.GetValue(energy);
            var options = new LowRankOptions
            {
                Ratio = r,
                Energy = e,
                Whiten = parse.GetValue(whiten),
                Samples = parse.GetValue(data.Samples) ?? 512,
                ExcludeNodes = new HashSet<string>(CommonOptions.List(parse.GetValue(excludeNodes) ?? "", "--exclude-nodes"), StringComparer.Ordinal),
            };
            options.Validate();
            var open = data.OpenIfGiven(parse, input);
            outputs.ProbeData = open;
            if (options.Whiten && open is null) throw new UsageException("--whiten needs calibration data: --data PATH.");
            var onnx = outputs.LoadModel(input);
            CommonOptions.CheckNodeNames(options.ExcludeNodes, onnx, "--exclude-nodes");
            data.CheckAgainst(parse, onnx, input);
            var result = ConsoleOutput.WithProgress("lowrank", progress => new LowRankFactorizer(options).Factorize(onnx, open, progress));
            string staged = outputs.StageModel(result.Model, input, outPath);
            ResultOutput.Emit(parse, outputs, json, report, LowRankReport.Sections(result, maxLayers: 16), outPath,
                LowRankJson.From(result, options, input, outPath), () => LowRankReport.ToMarkdown(result, input, outPath), evaluate.Run(parse, data, input, staged));
            return ExitCodes.Ok;
        });
        return command;
    }
}
