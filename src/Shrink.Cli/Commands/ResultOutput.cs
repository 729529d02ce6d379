using System.CommandLine;
using Shrink.Cli.Terminal;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary>
/// What every compressing command prints and writes once its model is saved: the tables on standard output (unless
/// <c>--json -</c> takes it), the JSON results, and the Markdown report when <c>--report</c> asks for one.
/// </summary>
internal static class ResultOutput
{
    public static void Emit<T>(ParseResult parse, Option<string?> json, Option<string?> report, IEnumerable<ReportSection> console, string? wrote, T payload, Func<string> markdown)
    {
        string? target = parse.GetValue(json);
        if (target != "-")
        {
            foreach (var s in console) ConsoleOutput.Write(s);
            if (wrote is not null) Console.Out.WriteLine($"wrote {wrote}");
        }
        JsonOutput.Write(target, payload);
        if (parse.GetValue(report) is string reportPath)
        {
            JsonOutput.WriteText(reportPath, markdown());
            ConsoleOutput.Note($"report written to {reportPath}");
        }
    }
}
