using Spectre.Console;
using Spectre.Console.Rendering;

namespace Shrink.Cli.Terminal;

/// <summary>A progress column with the estimated time left (<see cref="ProgressEstimate"/>), the same estimate the plain lines give.</summary>
internal sealed class RemainingEstimateColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(Describe(task), new Style(Color.Grey));

    /// <summary>The column's text for <paramref name="task"/>: <c>about 30 s left</c>, <c>done</c>, or empty while there is nothing to go on.</summary>
    public static string Describe(ProgressTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.IsFinished) return "done";
        if (task.IsIndeterminate || task.ElapsedTime is not TimeSpan elapsed) return "";
        return ProgressEstimate.Remaining(elapsed, task.Value, task.MaxValue) is TimeSpan left ? $"about {ProgressEstimate.Format(left)} left" : "";
    }
}
