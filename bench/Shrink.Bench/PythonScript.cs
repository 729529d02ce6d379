using System.Diagnostics;
using System.Text.Json;

namespace Shrink.Bench;

/// <summary>Runs a Python baseline with Debian's interpreter (which has python3-torch) and reads what it prints.</summary>
internal static class PythonScript
{
    private const string Interpreter = "/usr/bin/python3";

    /// <summary>Standard output of <paramref name="script"/> with <paramref name="args"/>, or null (with the reason on stderr) when it fails or Python is missing.</summary>
    public static string? Run(string script, string? workingDirectory, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
            start.ArgumentList.Add(script);
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var err = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode == 0) return stdout;
            Console.Error.WriteLine($"{Path.GetFileName(script)} failed: {err.Result}");
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"{Interpreter} is not available: {e.Message}");
            return null;
        }
    }

    /// <summary>The JSON object on the last line <paramref name="script"/> prints, or null.</summary>
    public static JsonElement? RunJson(string script, string? workingDirectory, params string[] args) =>
        Run(script, workingDirectory, args) is string stdout ? JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone() : null;
}
