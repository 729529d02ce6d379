using System.CommandLine;
using System.Globalization;

namespace Shrink.Cli.Commands;

/// <summary>Options several commands share, with their parsing.</summary>
internal static class CommonOptions
{
    public static Option<int> Threads() => new("--threads") { Description = "ONNX Runtime intra-op threads for every timing (default 1: two give bimodal timings on small machines)", DefaultValueFactory = _ => 1 };

    public static Option<string> Batches(string fallback) => new("--batch") { Description = $"Batch sizes to time, comma-separated (default {fallback})", DefaultValueFactory = _ => fallback };

    public static Option<int> Runs() => new("--runs") { Description = "Timed runs per model and batch size (default: automatic, about 2 s per batch size)", DefaultValueFactory = _ => 0 };

    public static Option<int> Warmup() => new("--warmup") { Description = "Warm-up runs per model before timing", DefaultValueFactory = _ => 5 };

    public static Option<string?> Json() => new("--json") { Description = "Also write the results as JSON to this file ('-' for standard output)" };

    public static int[] ParseBatches(string text)
    {
        var sizes = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b > 0 ? b : throw new UsageException($"--batch: '{s}' is not a positive integer."))
            .Select(b => b <= MaxBatch ? b : throw new UsageException($"--batch {b} is over the limit of {MaxBatch}."))
            .Distinct().ToArray();
        return sizes.Length > 0 ? sizes : throw new UsageException("--batch needs at least one batch size.");
    }

    /// <summary>The largest batch size timed.</summary>
    public const int MaxBatch = 4096;

    /// <summary>The most intra-op threads accepted.</summary>
    public const int MaxThreads = 256;

    public static int CheckThreads(int threads) => threads switch
    {
        < 1 => throw new UsageException("--threads must be at least 1."),
        > MaxThreads => throw new UsageException($"--threads {threads} is over the limit of {MaxThreads} (this machine has {Environment.ProcessorCount} cores)."),
        _ => threads,
    };

    /// <summary>Parses repeated <c>name=d1,d2,...</c> values of --input-shape.</summary>
    public static Dictionary<string, long[]> ParseInputShapes(IEnumerable<string> specs)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new UsageException($"--input-shape must be name=d1,d2,..., not '{spec}'.");
            result[spec[..eq]] = spec[(eq + 1)..].Split(',')
                .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0 ? v : throw new UsageException($"--input-shape '{spec}': '{d}' is not a positive integer."))
                .ToArray();
        }
        return result;
    }
}
