using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Fuzz;

/// <summary>What one case did and which of the fuzz checks it failed (none: it failed or succeeded cleanly).</summary>
internal sealed record FuzzOutcome(FuzzCase Case, int ExitCode, string Stderr, IReadOnlyList<string> Failures, TimeSpan Elapsed)
{
    public bool Ok => Failures.Count == 0;
}

/// <summary>
/// Lays a case out in a fresh folder, runs it in-process and checks: exit code 0, 1 or 2; no "internal error" and no
/// stack trace on standard error; nothing written when it fails; the input files unchanged; every model written loads
/// in ONNX Runtime; and a case that gets an option wrong is refused.
/// </summary>
internal static partial class FuzzRunner
{
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public static FuzzOutcome Run(FuzzCase c)
    {
        using var dir = new TempDirectory();
        Lay(c, dir.Path);
        var before = Snapshot(dir.Path, c);
        string[] args = c.Args.Select(a => a
            .Replace("{model}", Path.Combine(dir.Path, FuzzCase.ModelPath), StringComparison.Ordinal)
            .Replace("{out}", Path.Combine(dir.Path, FuzzCase.OutputPath), StringComparison.Ordinal)
            .Replace("{dir}", dir.Path, StringComparison.Ordinal)).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var limit = c.MaxSeconds is double max ? TimeSpan.FromSeconds(max) : Timeout;
        var result = InProcessCli.Run(args, limit, () => Unblock(c, dir.Path));
        clock.Stop();
        var failures = new List<string>();
        string Clean(string text) => text.Replace(dir.Path, "{dir}", StringComparison.Ordinal);
        if (result.Escaped is not null) failures.Add($"exception escaped Cli.Run: {result.Escaped.GetType().Name}");
        if (result.TimedOut) failures.Add($"no answer within {limit.TotalSeconds:0} s" + (result.Unblocked ? " (ended once unblocked)" : ""));
        if (!(result.TimedOut && !result.Unblocked) && result.ExitCode is not (0 or 1 or 2)) failures.Add($"exit code {result.ExitCode}");
        string stderr = Clean(result.Stderr);
        int internalAt = stderr.IndexOf("internal error", StringComparison.Ordinal);
        if (internalAt >= 0) failures.Add("internal error: " + ExceptionType(stderr[internalAt..]));
        if (stderr.Split('\n').Any(l => l.StartsWith("   at ", StringComparison.Ordinal))) failures.Add("stack trace on stderr");
        if (c.MustFail && result.ExitCode == 0) failures.Add("bad option or path accepted (exit 0)");

        var after = Snapshot(dir.Path, c);
        foreach (var (path, hash) in before)
            if (!after.TryGetValue(path, out var now) || now != hash) failures.Add(path.StartsWith("m/", StringComparison.Ordinal) || path == "secret.bin" ? "input modified or removed" : $"existing file {path} changed");
        var created = after.Keys.Where(p => !before.ContainsKey(p)).Order(StringComparer.Ordinal).ToArray();
        if (result.ExitCode != 0 && created.Length > 0) failures.Add("partial output after a failure: " + string.Join(", ", created.Select(Category)));
        if (result.ExitCode == 0 && !result.TimedOut)
        {
            if (args.Contains("-o") && c.Args.Contains("{out}") && !File.Exists(Path.Combine(dir.Path, FuzzCase.OutputPath)))
                failures.Add("exit 0 without the output model");
            foreach (var model in created.Where(p => p.EndsWith(".onnx", StringComparison.Ordinal)))
            {
                try
                {
                    using var session = OrtRunner.Open(Path.Combine(dir.Path, model));
                }
                catch (OnnxRuntimeException e)
                {
                    failures.Add("written model does not load in ORT: " + FirstLine(Clean(e.Message)));
                }
            }
        }
        return new FuzzOutcome(c, result.ExitCode, stderr, failures.Distinct().ToArray(), clock.Elapsed);
    }

    /// <summary>Generic names for created files, so the summary groups them ("out/output.onnx", "report", ...).</summary>
    private static string Category(string path) => path.EndsWith(".onnx", StringComparison.Ordinal) ? "model" : path.EndsWith(".md", StringComparison.Ordinal) ? "report" : path.EndsWith(".json", StringComparison.Ordinal) ? "json" : "other file";

    private static string FirstLine(string text)
    {
        string line = text.Split('\n')[0].Trim();
        return line.Length > 120 ? line[..120] + "…" : line;
    }

    /// <summary>The exception type named after "internal error (please report it): ".</summary>
    private static string ExceptionType(string text)
    {
        int colon = text.IndexOf("): ", StringComparison.Ordinal);
        if (colon < 0) return FirstLine(text);
        string rest = text[(colon + 3)..];
        int end = rest.IndexOfAny([':', '\n', ' ']);
        string type = end < 0 ? rest : rest[..end];
        return type.Split('.').Last();
    }

    private static void Lay(FuzzCase c, string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "m"));
        Directory.CreateDirectory(Path.Combine(root, "out"));
        foreach (var folder in c.Folders) Directory.CreateDirectory(Path.Combine(root, folder));
        foreach (var (path, bytes) in c.Files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }
        foreach (var (link, target) in c.Links) File.CreateSymbolicLink(Path.Combine(root, link), target);
        foreach (var fifo in c.Fifos)
            if (MakeFifo(Path.Combine(root, fifo), Convert.ToUInt32("644", 8)) != 0) throw new IOException($"mkfifo {fifo} failed");
    }

    /// <summary>Hashes of every regular file below <paramref name="root"/> (links followed, FIFOs skipped), by relative path.</summary>
    private static Dictionary<string, string> Snapshot(string root, FuzzCase c)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (c.Fifos.Contains(relative)) continue;
            try { result[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))); }
            catch (IOException) { result[relative] = "unreadable"; }
        }
        return result;
    }

    /// <summary>A reader blocked on a FIFO returns once a writer opens and closes it.</summary>
    private static void Unblock(FuzzCase c, string root)
    {
        foreach (var fifo in c.Fifos)
        {
            var writer = new Thread(() =>
            {
                try { using var w = new FileStream(Path.Combine(root, fifo), FileMode.Open, FileAccess.Write); }
                catch (IOException) { }
            })
            { IsBackground = true };
            writer.Start();
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
