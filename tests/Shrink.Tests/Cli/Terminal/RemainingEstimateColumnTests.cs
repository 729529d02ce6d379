using Shrink.Cli.Terminal;
using Shrink.Tests.TestSupport;
using Spectre.Console;

namespace Shrink.Tests.Cli.Terminal;

public class RemainingEstimateColumnTests
{
    [Fact]
    public void The_terminal_column_gives_the_same_estimate_as_the_plain_lines()
    {
        var clock = new ManualClock();
        var task = new ProgressTask(1, "quantize: calibration", 40, autoStart: true, timeProvider: clock);
        Assert.Equal("", RemainingEstimateColumn.Describe(task));
        clock.Advance(TimeSpan.FromSeconds(10));
        task.Value = 10;
        Assert.Equal("about 30 s left", RemainingEstimateColumn.Describe(task));
        task.Value = 40;
        Assert.Equal("done", RemainingEstimateColumn.Describe(task));
    }
}
