using System.CommandLine;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink sensitivity</c>: Ω(layer, bits) for every quantizable layer, by Hutchinson Hessian traces or measured perturbation.</summary>
internal static class SensitivityCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var groupSize = new Option<int>("--group-size") { Description = "Columns per scale of the round-to-nearest reference (0: per output channel)", DefaultValueFactory = _ => 32 };
        var report = new Option<string?>("--report") { Description = "Write a Markdown report" };
        var json = CommonOptions.Json();
        var data = new DataArguments(dataRequired: true);
        var sensitivity = new SensitivityArguments(methodIsSensitivity: true);
        var command = new Command("sensitivity", "Measure how much each layer loses when its weights are rounded to each bit width: Ω(layer, bits), by Hessian traces (Hutchinson, forward passes only) or measured loss change. Cached beside the model as MODEL.sensitivity.json.")
        {
            model, groupSize, report, json,
        };
        data.AddTo(command);
        sensitivity.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!;
            int group = parse.GetValue(groupSize) >= 0 ? parse.GetValue(groupSize) : throw new UsageException("--group-size must be 0 or positive.");
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse)],
                [("--report", parse.GetValue(report)), ("--json", parse.GetValue(json)), (OutputTransaction.CacheRole, Shrink.Methods.Quantization.MixedPrecision.SensitivityCache.PathFor(input))]);
            var options = sensitivity.Bind(parse, data, group, new HashSet<string>(), new HashSet<string>());
            var onnx = outputs.LoadModel(input);
            data.CheckAgainst(parse, onnx, input);
            var result = sensitivity.Measure(parse, input, onnx, options, data);
            string? target = parse.GetValue(json);
            string jsonText = JsonOutput.Serialize(SensitivityJson.From(result, input));
            if (target is not null && target != "-") outputs.StageText(target, jsonText + "\n", "--json");
            string? reportPath = parse.GetValue(report);
            if (reportPath is not null) outputs.StageText(reportPath, SensitivityReport.ToMarkdown(result, input), "--report");
            outputs.Commit();
            if (target != "-")
                foreach (var s in SensitivityReport.Sections(result)) ConsoleOutput.Write(s);
            else
                Console.Out.WriteLine(jsonText);
            if (reportPath is not null) ConsoleOutput.Note($"report written to {reportPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
