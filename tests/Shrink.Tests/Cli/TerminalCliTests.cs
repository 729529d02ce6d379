using System.Diagnostics;
using System.Text.RegularExpressions;
using Shrink.Cli.Terminal;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>What the CLI prints when its output goes to a file or a pipe (as in CI logs): plain progress lines and unwrapped tables.</summary>
public partial class TerminalCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [GeneratedRegex(@"^quantize: (?<stage>[^,]+?) [\d,]+(?<total>/[\d,]+)?(, (?<rest>.*))?$")]
    private static partial Regex ProgressLine();

    [Fact]
    public void Redirected_quantize_prints_rate_limited_progress_lines_and_tables_without_wrapping()
    {
        using var dir = new TempDirectory();
        string report = dir.File("q.md");
        var clock = Stopwatch.StartNew();
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("int8.onnx"), "--data", Calibration, "--samples", "256", "--analysis-samples", "64", "--report", report);
        var took = clock.Elapsed;
        Assert.True(r.ExitCode == 0, r.Stderr);

        var progress = r.Stderr.Split('\n').Select(l => l.TrimEnd()).Select(l => ProgressLine().Match(l)).Where(m => m.Success).ToList();
        Assert.Contains(progress, m => m.Groups["stage"].Value == "calibration" && m.Groups["rest"].Value.StartsWith("done in ", StringComparison.Ordinal));
        // At most a start line, one line per interval and an end line per step.
        int bound = 2 + (int)Math.Ceiling(took / PlainProgress.DefaultInterval);
        foreach (var stage in progress.GroupBy(m => m.Groups["stage"].Value))
            Assert.True(stage.Count() <= bound, $"{stage.Key}: {stage.Count()} lines in {took.TotalSeconds:F1} s");
        // Every step of this run is shorter than the 5 s line interval on the sample model, so no line in between may show
        // (PlainProgressTests covers those with a manual clock); if one does, it gives elapsed time and the time left.
        foreach (var m in progress.Where(m => m.Groups["rest"].Value.StartsWith("elapsed", StringComparison.Ordinal) && m.Groups["total"].Success))
            Assert.Contains(" left", m.Value, StringComparison.Ordinal);

        // The report's notes are the ones printed under the tables: each one is printed whole on one line, also those
        // longer than the 80 columns a console assumes when it is not a terminal.
        var stdout = r.Stdout.Split('\n').Select(l => l.Trim()).ToHashSet();
        var notes = File.ReadAllLines(report).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToList();
        Assert.Contains(notes, n => n.Length > 80);
        foreach (var note in notes) Assert.Contains(note, stdout);
    }
}
