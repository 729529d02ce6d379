using System.Diagnostics;

namespace Shrink.Tests.Reports.Html;

/// <summary>Debian's <c>chromium</c> run headless on a local file: a screenshot, the DOM, and the console log.</summary>
internal static class HeadlessChromium
{
    /// <summary>The browser executable, or null when it is not installed.</summary>
    public static string? Path { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the browser on <paramref name="htmlFile"/> with <paramref name="mode"/> (<c>--dump-dom</c> or <c>--screenshot=FILE</c>), logging to standard error.</summary>
    public static Run Open(string htmlFile, string mode, string profileFolder)
    {
        var psi = new ProcessStartInfo(Path ?? throw new InvalidOperationException("chromium is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions", $"--user-data-dir={profileFolder}",
                     "--enable-logging=stderr", "--v=0", "--window-size=1200,900", mode, new Uri(htmlFile).AbsoluteUri })
            psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = profileFolder;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish on {htmlFile} in 90 s.");
        }
        return new Run(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Lines of the log that report a page error: an uncaught exception or a console message (Chromium logs them as <c>CONSOLE(line)</c>).</summary>
    public static IReadOnlyList<string> PageErrors(string log) =>
        [.. log.Split('\n').Where(l => l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains(":CONSOLE", StringComparison.Ordinal) || l.Contains("console.error", StringComparison.Ordinal))];
}
