using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>Rules that live in the library's options records (<c>Validate()</c>) still reach the user as usage errors (exit 2) with the same text, and nothing is written.</summary>
public class OptionRecordValidationCliTests
{
    [Theory]
    [InlineData("lowrank --ratio 1.5", "--ratio must be in (0, 1), not 1.5.")]
    [InlineData("lowrank --energy 0", "--energy must be in (0, 1], not 0.")]
    [InlineData("lowrank", "give exactly one of --ratio R or --energy E.")]
    [InlineData("prune --sparsity 1.2", "--sparsity must be in [0, 1), not 1.2.")]
    [InlineData("prune --sparsity 0.5 --granularity unstructured --damp 0", "--damp must be positive.")]
    [InlineData("prune --sparsity 0.5 --channel-multiple 0", "--channel-multiple must be positive.")]
    [InlineData("prune --speedup 1.5 --latency-batch 0", "--latency-batch must be positive.")]
    [InlineData("quantize --weights int4 --group-size -1", "--group-size must be 0 or positive.")]
    public void Record_rules_are_usage_errors_with_their_text(string command, string message)
    {
        using var dir = new TempDirectory();
        var parts = command.Split(' ');
        var r = ShrinkCli.Run([parts[0], ShrinkCli.Sample, "-o", dir.File("o.onnx"), .. parts[1..]]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"error: {message}", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.Empty(dir.ListFiles());
    }
}
