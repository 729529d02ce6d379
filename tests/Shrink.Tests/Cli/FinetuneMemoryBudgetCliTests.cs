using System.Text.Json;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink finetune --memory-budget</c> on the shipped sample (cnn_small and Fashion-MNIST test images) as a user runs it.</summary>
public sealed class FinetuneMemoryBudgetCliTests
{
    [Fact]
    public void A_budget_too_small_for_the_batch_is_a_usage_error_naming_the_estimate_and_a_batch_that_fits()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "tuned.onnx");
        var r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--train-batch", "4096", "--memory-budget", "64");
        Assert.Equal(2, r.ExitCode);
        var message = System.Text.RegularExpressions.Regex.Match(r.Stderr,
            @"--memory-budget 64 MiB: at batch 4096 the step's activations \(forward values kept for the backward pass and the backward pass's own, at their peak\) are estimated at ([\d.]+) MiB without recomputation and ([\d.]+) MiB with it; use --train-batch (\d+) or less");
        Assert.True(message.Success, r.Stderr);
        double without = double.Parse(message.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double with = double.Parse(message.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        // cnn_small's peak is at the last layers' backward, where recomputing its few elementwise values saves nothing.
        Assert.True(with <= without && with > 64, r.Stderr);
        int batch = int.Parse(message.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(batch, 1, (4096 * 64 / with) + 1);
        Assert.DoesNotContain("internal error", r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(output));

        var zero = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--memory-budget", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--memory-budget must be", zero.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_budget_that_fits_trains_without_recomputation_and_reports_the_estimate()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "tuned.onnx"), json = Path.Combine(dir.Path, "r.json");
        var r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--train-samples", "64", "--train-batch", "32",
            "--lr", "0.0001", "--memory-budget", "1024", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("memory: the step's activations at their peak are estimated at", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("budget 1024 MiB: it fits without recomputation", r.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var memory = doc.RootElement.GetProperty("memory");
        Assert.False(memory.GetProperty("recompute").GetBoolean());
        Assert.Equal(1024L * 1048576, memory.GetProperty("budget_bytes").GetInt64());
        Assert.True(memory.GetProperty("kept_bytes").GetInt64() > memory.GetProperty("recomputed_bytes").GetInt64());
        Assert.True(memory.GetProperty("peak_bytes").GetInt64() >= memory.GetProperty("kept_bytes").GetInt64());
        Assert.True(File.Exists(output));
    }
}
