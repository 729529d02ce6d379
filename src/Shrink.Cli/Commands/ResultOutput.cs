using System.CommandLine;
using System.Text.Json.Nodes;
using Shrink.Cli.Terminal;
using Shrink.Evaluation;
using Shrink.Reports;
using Shrink.Reports.Rendering;

namespace Shrink.Cli.Commands;

/// <summary>
/// What every compressing command prints and writes once its model is staged: the JSON results and the Markdown report
/// (when <c>--json FILE</c> / <c>--report</c> ask for them) are staged beside the model, everything is committed at
/// once (<see cref="OutputTransaction.Commit"/>: the model must load in ONNX Runtime), and only then are the tables
/// printed on standard output (or the JSON, for <c>--json -</c>). An evaluation of the output against the input
/// (<c>--eval-data</c>) is appended to all three.
/// </summary>
internal static class ResultOutput
{
    public static void Emit<T>(ParseResult parse, OutputTransaction outputs, Option<string?> json, Option<string?> report, IEnumerable<ReportSection> console, string? wrote, T payload, Func<string> markdown,
        EvaluationResult? evaluation = null, Func<Report>? model = null)
    {
        string? target = parse.GetValue(json), reportPath = parse.GetValue(report);
        // The report model (when the command has one) renders --report as HTML or JSON by extension and carries the recipe.
        Report? reportModel = target is not null || (reportPath is not null && (ReportFormat.IsHtml(reportPath) || ReportFormat.IsJson(reportPath))) ? model?.Invoke() : null;
        var evaluationSections = evaluation is null ? [] : EvaluationReport.Sections(evaluation).Select(s => s with { Title = "After vs before: " + s.Title }).ToList();
        string? jsonText = null;
        if (target is not null)
        {
            // Results measured on random:N data say nothing about accuracy: the JSON says so beside them.
            bool random = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--data") is Option<string> data && DataArguments.IsRandom(parse.GetValue(data));
            if (evaluation is null && reportModel?.Recipe is null && !random)
            {
                jsonText = JsonOutput.Serialize(payload);
            }
            else
            {
                var node = JsonNode.Parse(JsonOutput.Serialize(payload))!.AsObject();
                if (random) node["random_data"] = true;
                if (evaluation is not null) node["evaluation"] = JsonNode.Parse(JsonOutput.Serialize(evaluation));
                if (reportModel?.Recipe is string recipe) node["recipe"] = JsonNode.Parse(recipe);
                jsonText = JsonOutput.Serialize(node);
            }
            if (target != "-") outputs.StageText(target, jsonText + "\n", "--json");
        }
        if (reportPath is not null)
        {
            string text;
            if (reportModel is not null && (ReportFormat.IsHtml(reportPath) || ReportFormat.IsJson(reportPath)))
            {
                text = ReportFormat.Render(reportModel with { Sections = [.. reportModel.Sections, .. evaluationSections] }, reportPath);
            }
            else
            {
                text = markdown();
                if (evaluationSections.Count > 0) text += ReportSection.SectionsToMarkdown(evaluationSections);
                if (ReportFormat.IsHtml(reportPath)) text = Reports.Html.HtmlReport.RenderPreformatted(text);
            }
            outputs.StageText(reportPath, text, "--report");
        }
        outputs.Commit();
        if (target != "-")
        {
            foreach (var s in console.Concat(evaluationSections)) ConsoleOutput.Write(s);
            if (wrote is not null) Console.Out.WriteLine($"wrote {wrote}");
        }
        else
        {
            Console.Out.WriteLine(jsonText);
        }
        if (reportPath is not null) ConsoleOutput.Note($"report written to {reportPath}");
    }
}
