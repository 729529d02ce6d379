using Shrink.Reports;
using Spectre.Console;

namespace Shrink.Cli.Terminal;

/// <summary>Tables to standard output; progress and notes to standard error, so JSON on stdout stays clean.</summary>
internal static class ConsoleOutput
{
    private static readonly IAnsiConsole Err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static void Write(ReportSection section)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(section.Title)}[/]");
        foreach (var h in section.Table.Headers) table.AddColumn(new TableColumn(Markup.Escape(h)));
        foreach (var row in section.Table.Rows) table.AddRow(row.Select(c => Markup.Escape(c)).ToArray());
        AnsiConsole.Write(table);
        if (section.Notes is { Count: > 0 })
            foreach (var n in section.Notes) AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(n)}[/]");
    }

    public static void Note(string text) => Err.MarkupLine($"[grey]{Markup.Escape(text)}[/]");

    /// <summary>
    /// Runs <paramref name="work"/> with a progress bar on standard error (a line per quarter when it is not a terminal).
    /// </summary>
    public static T WithProgress<T>(string title, Func<IProgress<ProgressInfo>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            var lines = new LineProgress(title);
            return work(lines);
        }
        T result = default!;
        Err.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new CallbackProgress(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task))
                        tasks[p.Stage] = task = ctx.AddTask($"{title}: {p.Stage}", maxValue: p.Total ?? 1);
                    if (p.Total is long t) task.MaxValue = t;
                    task.Value = p.Total is null ? 0 : p.Done;
                });
                result = work(progress);
            });
        return result;
    }

    private sealed class CallbackProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }

    private sealed class LineProgress(string title) : IProgress<ProgressInfo>
    {
        private readonly Dictionary<string, int> _printed = [];

        public void Report(ProgressInfo p)
        {
            int quarter = p.Total is long t && t > 0 ? (int)(4 * p.Done / t) : 0;
            if (_printed.TryGetValue(p.Stage, out int q) && q >= quarter) return;
            _printed[p.Stage] = quarter;
            Console.Error.WriteLine(p.Total is long total ? $"{title}: {p.Stage} {p.Done:N0}/{total:N0}" : $"{title}: {p.Stage} {p.Done:N0}");
        }
    }
}
