using System.Diagnostics;

namespace Shrink.Tests.TestSupport;

/// <summary>Runs the real <c>shrink</c> executable (built beside the tests) as a user would, capturing its output and exit code.</summary>
internal static class ShrinkCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "shrink.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.RepoRoot };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"shrink {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Sample => Path.Combine(RepoPaths.RepoRoot, "samples", "cnn_small.onnx");

    public static string SampleImages => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "t1k-images-idx3-ubyte.gz");
}
