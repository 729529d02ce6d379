using Shrink.Reports;
using Spectre.Console;

namespace Shrink.Cli.Terminal;

/// <summary>Tables to standard output; progress and notes to standard error, so JSON on stdout stays clean.</summary>
internal static class ConsoleOutput
{
    /// <summary>
    /// The width tables and notes are laid out for when the output is not a terminal: wide enough that nothing wraps, so a
    /// table in a log file or a pipe keeps one line per row and every number whole (Spectre's default there is 80 columns).
    /// </summary>
    public const int RedirectedWidth = 100_000;

    private static readonly IAnsiConsole Out = ForWriter(Console.Out, Console.IsOutputRedirected);
    private static readonly IAnsiConsole Err = ForWriter(Console.Error, Console.IsErrorRedirected);

    /// <summary>
    /// A console writing to <paramref name="writer"/>, laid out at <see cref="RedirectedWidth"/> when <paramref name="redirected"/>.
    /// One that is not redirected is interactive (live progress bars) even when the other stream is: Spectre's detection
    /// looks at standard output, so <c>shrink quantize ... &gt; log.txt</c> would otherwise lose the bars on the terminal.
    /// </summary>
    public static IAnsiConsole ForWriter(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Yes,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }

    public static void Write(ReportSection section) => Write(Out, section);

    /// <summary>Writes <paramref name="section"/> as a table with its notes under it.</summary>
    public static void Write(IAnsiConsole console, ReportSection section)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(section);
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(section.Title)}[/]");
        foreach (var h in section.Table.Headers) table.AddColumn(new TableColumn(Markup.Escape(h)));
        foreach (var row in section.Table.Rows) table.AddRow(row.Select(c => Markup.Escape(c)).ToArray());
        console.Write(table);
        if (section.Notes is { Count: > 0 })
            foreach (var n in section.Notes) console.MarkupLine($"  [grey]{Markup.Escape(n)}[/]");
    }

    public static void Note(string text) => Err.MarkupLine($"[grey]{Markup.Escape(text)}[/]");

    /// <summary>
    /// Runs <paramref name="work"/> showing its progress on standard error: on a terminal a bar per step with the time
    /// elapsed and the time left; otherwise plain lines (<see cref="PlainProgress"/>).
    /// </summary>
    public static T WithProgress<T>(string title, Func<IProgress<ProgressInfo>, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Console.IsErrorRedirected)
            return work(new PlainProgress(title, Console.Error, TimeProvider.System, PlainProgress.DefaultInterval));
        T result = default!;
        Err.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingEstimateColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new CallbackProgress(p =>
                {
                    lock (tasks)
                    {
                        // A stage that ended and counts again from the start gets a new bar.
                        if (!tasks.TryGetValue(p.Stage, out var task) || task.StopTime is not null && p.Done < task.Value)
                            tasks[p.Stage] = task = ctx.AddTask($"{title}: {p.Stage}", maxValue: Math.Max(1, p.Total ?? 1));
                        if (p.Detail is not null) task.Description = Markup.Escape($"{title}: {p.Stage} ({p.Detail})");
                        task.IsIndeterminate = p.Total is null;
                        if (p.Total is long t) task.MaxValue = Math.Max(1, t);
                        task.Value = p.Total is null ? 0 : p.Done;
                        // Stopped, its elapsed time stays the step's own instead of running on with the next step.
                        if (p.Total is long end && p.Done >= end && task.StopTime is null) task.StopTask();
                    }
                });
                result = work(progress);
            });
        return result;
    }

    private sealed class CallbackProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }
}
