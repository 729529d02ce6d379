using System.CommandLine;
using System.Text.Json.Nodes;
using Shrink.Cli.Terminal;
using Shrink.Evaluation;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary>
/// What every compressing command prints and writes once its model is saved: the tables on standard output (unless
/// <c>--json -</c> takes it), the JSON results, and the Markdown report when <c>--report</c> asks for one. An
/// evaluation of the output against the input (<c>--eval-data</c>) is appended to all three.
/// </summary>
internal static class ResultOutput
{
    public static void Emit<T>(ParseResult parse, Option<string?> json, Option<string?> report, IEnumerable<ReportSection> console, string? wrote, T payload, Func<string> markdown,
        EvaluationResult? evaluation = null)
    {
        string? target = parse.GetValue(json);
        var evaluationSections = evaluation is null ? [] : EvaluationReport.Sections(evaluation).Select(s => s with { Title = "After vs before: " + s.Title }).ToList();
        if (target != "-")
        {
            foreach (var s in console.Concat(evaluationSections)) ConsoleOutput.Write(s);
            if (wrote is not null) Console.Out.WriteLine($"wrote {wrote}");
        }
        if (evaluation is null)
        {
            JsonOutput.Write(target, payload);
        }
        else if (target is not null)
        {
            var node = JsonNode.Parse(JsonOutput.Serialize(payload))!.AsObject();
            node["evaluation"] = JsonNode.Parse(JsonOutput.Serialize(evaluation));
            JsonOutput.Write(target, node);
        }
        if (parse.GetValue(report) is string reportPath)
        {
            string text = markdown();
            if (evaluationSections.Count > 0) text += ReportSection.SectionsToMarkdown(evaluationSections);
            JsonOutput.WriteText(reportPath, text);
            ConsoleOutput.Note($"report written to {reportPath}");
        }
    }
}
