using System.Diagnostics;
using System.Globalization;

namespace Shrink.Bench;

/// <summary>Runs this benchmark's own DLL as <c>dotnet Shrink.Bench.dll SUBCOMMAND ARGS</c> and collects its <c>key=value</c> output.</summary>
internal static class ChildProcess
{
    public sealed record Output(IReadOnlyDictionary<string, double> Values, IReadOnlyList<PhaseTiming> Phases);

    public static Output Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Shrink.Bench.dll");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"Child '{string.Join(' ', args)}' exited with {process.ExitCode}: {stderr.Result}{stdout}");
        return Parse(stdout);
    }

    private static Output Parse(string stdout)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var phases = new List<PhaseTiming>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            string key = line[..eq], value = line[(eq + 1)..];
            if (key == "phase")
            {
                string[] parts = value.Split('|', 4);
                phases.Add(new PhaseTiming(parts[3], Number(parts[0]), Number(parts[1]) / 1024, Number(parts[2]) / 1024));
            }
            else
            {
                values[key] = Number(value);
            }
        }
        return new Output(values, phases);
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    // Under `dotnet run` this process is the app host, not dotnet; then use the dotnet on PATH.
    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
