using System.Diagnostics;
using Xunit.Abstractions;

namespace Shrink.Tests.Fuzz;

/// <summary>
/// Runs the seeded fuzz corpus (<see cref="FuzzCorpus"/>) through the CLI in-process: every case must end cleanly
/// (exit 0, 1 or 2, no internal error or stack trace, no partial output, inputs unchanged, outputs that load in ORT).
/// With <c>SHRINK_FUZZ_REPORT=path</c> the run writes its per-class summary there as Markdown and does not fail, so
/// the failures can be counted before and after fixes. <c>SHRINK_FUZZ_ONLY=ID,ID,CLASS</c> runs only those cases or
/// classes and prints each one's exit code and standard error.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class CliFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void TheCorpusIsLargeAndReproducible()
    {
        var a = FuzzCorpus.Build();
        var b = FuzzCorpus.Build();
        Assert.True(a.Count >= 500, $"{a.Count} cases");
        Assert.Equal(a.Select(c => c.Id + c.Kind + c.CommandLine), b.Select(c => c.Id + c.Kind + c.CommandLine));
        Assert.Equal(a.Select(c => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(c.Files[FuzzCase.ModelPath]))),
            b.Select(c => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(c.Files[FuzzCase.ModelPath]))));
        Assert.Equal(a.Count, a.Select(c => c.Id).Distinct().Count());
        foreach (var cls in new[] { "baseline", "structural", "external-data", "bytes", "options" })
            Assert.Contains(a, c => c.Class == cls);
    }

    [Fact]
    public void EveryCorpusCaseEndsCleanly()
    {
        var corpus = FuzzCorpus.Build();
        string? only = Environment.GetEnvironmentVariable("SHRINK_FUZZ_ONLY");
        if (!string.IsNullOrEmpty(only)) corpus = corpus.Where(c => only.Split(',').Contains(c.Id) || only.Split(',').Contains(c.Class)).ToArray();
        var clock = Stopwatch.StartNew();
        var outcomes = corpus.Select(FuzzRunner.Run).ToArray();
        clock.Stop();
        string summary = FuzzSummary.ToMarkdown(outcomes, clock.Elapsed);
        output.WriteLine(summary);
        if (!string.IsNullOrEmpty(only))
            foreach (var o in outcomes)
                output.WriteLine($"{o.Case.Id} {o.Case.CommandLine} → exit {o.ExitCode}{(o.Ok ? "" : ": " + string.Join("; ", o.Failures))}\n  {o.Stderr.Trim().Replace("\n", "\n  ", StringComparison.Ordinal)}");
        foreach (var slow in outcomes.OrderByDescending(o => o.Elapsed).Take(5))
            output.WriteLine($"slowest: {slow.Case.Id} {slow.Elapsed.TotalSeconds:0.00} s {slow.Case.CommandLine}");
        if (Environment.GetEnvironmentVariable("SHRINK_FUZZ_REPORT") is { Length: > 0 } report)
        {
            File.WriteAllText(report, summary);
            return;
        }
        Assert.True(outcomes.All(o => o.Ok), summary);
    }
}
