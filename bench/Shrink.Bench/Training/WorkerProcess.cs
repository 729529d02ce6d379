using System.Diagnostics;
using System.Text.Json;

namespace Shrink.Bench.Training;

/// <summary>
/// A step-timing worker in its own process (ours: <c>Shrink.Bench trainstep</c>; PyTorch: <c>torch_training.py step</c>),
/// spoken to over stdin/stdout with one JSON line per command: <c>run K</c> (K steps, their times in ms), <c>rss</c>
/// (the process's peak resident set, KiB), <c>quit</c>. Each side's memory is its own process's.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public WorkerProcess(string executable, IEnumerable<string> args, string label)
    {
        Label = label;
        var start = new ProcessStartInfo(executable) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new ShrinkException($"could not start {label}");
        _stderr = _process.StandardError.ReadToEndAsync();
        Ready = ReadLine();
    }

    public string Label { get; }

    /// <summary>What the worker said when it was ready.</summary>
    public JsonElement Ready { get; }

    /// <summary>Runs <paramref name="steps"/> steps; their times in ms.</summary>
    public double[] Run(int steps)
    {
        _process.StandardInput.WriteLine($"run {steps}");
        _process.StandardInput.Flush();
        return [.. ReadLine().GetProperty("ms").EnumerateArray().Select(e => e.GetDouble())];
    }

    /// <summary>The worker's peak resident set in KiB.</summary>
    public long PeakRssKiB()
    {
        _process.StandardInput.WriteLine("rss");
        _process.StandardInput.Flush();
        return ReadLine().GetProperty("rss_kib").GetInt64();
    }

    private JsonElement ReadLine()
    {
        string? line = _process.StandardOutput.ReadLine();
        while (line is not null && !line.TrimStart().StartsWith('{')) line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            throw new ShrinkException($"{Label} stopped (exit {_process.ExitCode}): {_stderr.Result}");
        }
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (IOException)
        {
        }
        _process.Dispose();
    }
}
