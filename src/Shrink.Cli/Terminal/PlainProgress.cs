using System.Globalization;

namespace Shrink.Cli.Terminal;

/// <summary>
/// Progress as plain lines, for output that is not a terminal (a log file, a pipe, CI): a line when a step starts, then
/// at most one line per <c>interval</c> per step with the time elapsed and an estimate of the time left, and a line when it ends.
/// </summary>
/// <param name="title">What runs, e.g. <c>quantize</c>; each line starts with it.</param>
/// <param name="output">Where the lines go (standard error in the CLI).</param>
/// <param name="clock">The clock that times the steps.</param>
/// <param name="interval">The least time between two progress lines of one step.</param>
internal sealed class PlainProgress(string title, TextWriter output, TimeProvider clock, TimeSpan interval) : IProgress<ProgressInfo>
{
    /// <summary>The least time between two progress lines of one step in the CLI.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, Step> _steps = [];
    private readonly Lock _lock = new();

    public void Report(ProgressInfo value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            long now = clock.GetTimestamp();
            bool finished = value.Total is long total && value.Done >= total;
            if (!_steps.TryGetValue(value.Stage, out var step) || value.Done < step.Done)
            {
                // A new step, or the same stage name counting again from the start: time it afresh.
                _steps[value.Stage] = step = new Step(now, value.Done);
                if (!finished) Print(Head(value));
            }
            step.Done = value.Done;
            if (finished)
            {
                if (step.Finished) return;
                step.Finished = true;
                Print($"{Head(value)}, done in {ProgressEstimate.Format(clock.GetElapsedTime(step.Started, now))}");
                return;
            }
            if (clock.GetElapsedTime(step.LastLine, now) < interval) return;
            step.LastLine = now;
            var elapsed = clock.GetElapsedTime(step.Started, now);
            string line = $"{Head(value)}, elapsed {ProgressEstimate.Format(elapsed)}";
            // The rate is measured from the step's first report, which may come after some units are done.
            if (ProgressEstimate.Remaining(elapsed, value.Done - step.DoneAtStart, value.Total - step.DoneAtStart) is TimeSpan left) line += $", about {ProgressEstimate.Format(left)} left";
            else if (value.Total is not null) line += ", too early to estimate the time left";
            Print(line);
        }
    }

    private string Head(ProgressInfo p) => (p.Total is long total
        ? string.Create(CultureInfo.InvariantCulture, $"{title}: {p.Stage} {p.Done:N0}/{total:N0}")
        : string.Create(CultureInfo.InvariantCulture, $"{title}: {p.Stage} {p.Done:N0}")) + (p.Detail is null ? "" : $" ({p.Detail})");

    private void Print(string line)
    {
        output.WriteLine(line);
        output.Flush();
    }

    private sealed class Step(long started, long doneAtStart)
    {
        public long Started { get; } = started;

        public long DoneAtStart { get; } = doneAtStart;

        public long LastLine { get; set; } = started;

        public long Done { get; set; }

        public bool Finished { get; set; }
    }
}
