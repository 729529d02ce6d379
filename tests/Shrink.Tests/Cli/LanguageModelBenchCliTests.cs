using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink bench</c> on a language model with its token-window file (issue 12: it ended in an internal error).</summary>
public sealed class LanguageModelBenchCliTests
{
    [SharedFact]
    public void Bench_times_a_language_model_on_its_token_windows_read_as_next_token_inputs()
    {
        string models = RepoPaths.SharedModels;
        var r = ShrinkCli.Run("bench", Path.Combine(models, "tiny_gpt.onnx"), "--data", Path.Combine(models, "tiny_gpt.val.npy"), "--batch", "1", "--runs", "3", "--warmup", "1");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("next-token inputs window[:-1]", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", r.Stderr, StringComparison.Ordinal);
    }
}
