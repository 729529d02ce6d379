using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public sealed class ParetoCliTests
{
    [Fact]
    public void Pareto_writes_a_png_and_a_table_of_uniform_ilp_and_random_points()
    {
        using var dir = new TempDirectory();
        string calibration = Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");
        var r = ShrinkCli.Run("pareto", ShrinkCli.Sample, "-o", dir.Path, "--data", calibration, "--samples", "32", "--eval-data", ShrinkCli.SampleImages,
            "--eval-samples", "200", "--bits", "2,4,8", "--budgets", "2", "--random", "2", "--max-probes", "4", "--no-cache");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var png = File.ReadAllBytes(Path.Combine(dir.Path, "pareto.png"));
        Assert.True(png.Length > 10_000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        string md = File.ReadAllText(Path.Combine(dir.Path, "pareto.md"));
        Assert.Contains("| uniform |", md);
        Assert.Contains("| ilp |", md);
        Assert.Contains("| random |", md);
    }

    [Fact]
    public void Accuracy_without_labels_names_the_other_metric()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("pareto", ShrinkCli.Sample, "-o", dir.Path, "--data", "random:8", "--eval-data", "random:8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("top1_agreement", r.Stderr);
    }
}
