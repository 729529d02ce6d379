using Shrink.Cli.Terminal;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli.Terminal;

public class PlainProgressTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static string[] Lines(StringWriter w) => w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Lines_give_elapsed_time_and_time_left()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new PlainProgress("quantize", output, clock, Interval);
        progress.Report(new ProgressInfo("calibration", 0, 40));
        for (int i = 1; i <= 40; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report(new ProgressInfo("calibration", i, 40));
        }
        string[] lines = Lines(output);
        Assert.Equal("quantize: calibration 0/40", lines[0]);
        // One unit a second: after 10 s, 10 of 40 done, so 30 s left.
        Assert.Contains("quantize: calibration 10/40, elapsed 10 s, about 30 s left", lines);
        Assert.Contains("quantize: calibration 35/40, elapsed 35 s, about 5.0 s left", lines);
        Assert.Equal("quantize: calibration 40/40, done in 40 s", lines[^1]);
    }

    [Fact]
    public void A_step_prints_at_most_one_line_per_interval()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new PlainProgress("eval", output, clock, Interval);
        // 1,000 reports over 20 s: a start line, one line per 5 s (at 5, 10 and 15 s) and the end line at 20 s.
        for (int i = 0; i <= 1000; i++)
        {
            progress.Report(new ProgressInfo("accuracy", i, 1000));
            clock.Advance(TimeSpan.FromMilliseconds(20));
        }
        string[] lines = Lines(output);
        Assert.Equal(5, lines.Length);
        Assert.Equal(3, lines.Count(l => l.Contains("elapsed", StringComparison.Ordinal) && l.Contains("left", StringComparison.Ordinal)));
        Assert.Equal(["elapsed 5.0 s", "elapsed 10 s", "elapsed 15 s"], lines[1..4].Select(l => l.Split(", ")[1]));
        Assert.EndsWith("1,000/1,000, done in 20 s", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Steps_are_limited_and_timed_each_on_its_own()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new PlainProgress("prune", output, clock, Interval);
        progress.Report(new ProgressInfo("layers", 0, 10));
        clock.Advance(TimeSpan.FromSeconds(6));
        progress.Report(new ProgressInfo("samples", 0, 100));
        progress.Report(new ProgressInfo("layers", 3, 10));
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report(new ProgressInfo("samples", 50, 100));
        progress.Report(new ProgressInfo("layers", 4, 10));
        Assert.Equal(
            ["prune: layers 0/10", "prune: samples 0/100", "prune: layers 3/10, elapsed 6.0 s, about 14 s left"],
            Lines(output));
    }

    [Fact]
    public void The_rate_counts_from_the_first_report_and_early_lines_say_it_is_too_early()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new PlainProgress("prune", output, clock, Interval);
        progress.Report(new ProgressInfo("weights", 50, 1000)); // the first unit report comes after 50 units
        clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report(new ProgressInfo("weights", 60, 1000));
        clock.Advance(TimeSpan.FromSeconds(45));
        progress.Report(new ProgressInfo("weights", 150, 1000));
        string[] lines = Lines(output);
        Assert.Equal("prune: weights 60/1,000, elapsed 5.0 s, too early to estimate the time left", lines[1]);
        // 100 units in 50 s since the first report, 850 to go.
        Assert.Equal("prune: weights 150/1,000, elapsed 50 s, about 7 min 05 s left", lines[2]);
    }

    [Fact]
    public void A_stage_counting_again_from_zero_is_timed_afresh_and_unknown_totals_show_elapsed_only()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new PlainProgress("tune", output, clock, Interval);
        progress.Report(new ProgressInfo("trial", 0, 2));
        clock.Advance(TimeSpan.FromSeconds(30));
        progress.Report(new ProgressInfo("trial", 2, 2));
        progress.Report(new ProgressInfo("trial", 2, 2));
        progress.Report(new ProgressInfo("trial", 0, 2));
        clock.Advance(TimeSpan.FromSeconds(3));
        progress.Report(new ProgressInfo("trial", 2, 2));
        progress.Report(new ProgressInfo("samples", 10, null));
        clock.Advance(TimeSpan.FromSeconds(7));
        progress.Report(new ProgressInfo("samples", 20_000, null));
        Assert.Equal(
            ["tune: trial 0/2", "tune: trial 2/2, done in 30 s", "tune: trial 0/2", "tune: trial 2/2, done in 3.0 s", "tune: samples 10", "tune: samples 20,000, elapsed 7.0 s"],
            Lines(output));
    }
}
