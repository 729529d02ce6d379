using System.CommandLine;
using System.Globalization;
using System.Text;
using Shrink.Cli.Terminal;
using Shrink.Pipelines.Diffusion;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink eval MODEL --pipeline ddim</c>: generate images with the model (and the reference) and score them by Fréchet distance.</summary>
internal static class DiffusionEvalAction
{
    public static int Run(ParseResult parse, PipelineArguments pipeline, DataArguments data, string modelPath, string? referencePath, int threads, string? json, string? report)
    {
        if (parse.GetValue(data.Labels) is not null) throw new UsageException("--labels applies to --data; --pipeline generates its samples.");
        var options = pipeline.Evaluation(parse, data, new RuntimeOptions { IntraOpThreads = CommonOptions.CheckThreads(threads) });
        using var outputs = OutputTransaction.Begin([("MODEL", modelPath), ("--reference", referencePath), ("--fd-model", options.FeatureModel), ("--fd-data", options.FeatureData)],
            [("--report", report), ("--json", json)]);
        var result = ConsoleOutput.WithProgress("eval", progress => new DiffusionEvaluator(options).Evaluate(modelPath, referencePath, progress));
        if (json is not null && json != "-") outputs.StageText(json, JsonOutput.Serialize(result) + "\n", "--json");
        if (report is not null) outputs.StageText(report, Markdown(result), "--report");
        outputs.Commit();
        if (json == "-")
        {
            Console.Out.WriteLine(JsonOutput.Serialize(result));
            return ExitCodes.Ok;
        }
        Console.Out.Write(Text(result));
        if (report is not null) ConsoleOutput.Note($"report written to {report}");
        return ExitCodes.Ok;
    }

    private static string Describe(DiffusionEvaluationResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Pipeline}-{r.Steps} (t = {r.Timesteps[0]}..{r.Timesteps[^1]}), {r.Samples} samples, seed {r.Seed} (Shrink's noise generator); Fréchet distance on {r.FeatureModel} features '{r.FeatureTensor}' ({r.FeatureDimension}-d) vs {r.RealImages} images of {r.FeatureData} ({r.RealFeatureSeconds:F1} s)");

    private static string Text(DiffusionEvaluationResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Describe(r));
        int width = Math.Max(5, r.Models.Max(m => m.Model.Length));
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"model".PadRight(width)}  {"role",-9}  {"FD",8}  {"sampling s",10}  {"model calls",11}");
        foreach (var m in r.Models)
            sb.AppendLine(CultureInfo.InvariantCulture, $"{m.Model.PadRight(width)}  {m.Role,-9}  {m.FrechetDistance,8:F3}  {m.SampleSeconds,10:F1}  {m.ModelCalls,11}");
        return sb.ToString();
    }

    private static string Markdown(DiffusionEvaluationResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Diffusion sampling: Fréchet distance").AppendLine().AppendLine(Describe(r) + ".").AppendLine();
        sb.AppendLine("| model | role | FD | sampling s | model calls |").AppendLine("|---|---|---:|---:|---:|");
        foreach (var m in r.Models)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.Model} | {m.Role} | {m.FrechetDistance:F3} | {m.SampleSeconds:F1} | {m.ModelCalls} |");
        return sb.ToString();
    }
}
