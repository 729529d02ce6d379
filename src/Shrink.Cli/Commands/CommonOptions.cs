using System.CommandLine;
using System.Globalization;

namespace Shrink.Cli.Commands;

/// <summary>Options several commands share, with their parsing.</summary>
internal static class CommonOptions
{
    public static Option<int> Threads() => new("--threads") { Description = "ONNX Runtime intra-op threads for every timing (default 1: two give bimodal timings on small machines)", DefaultValueFactory = _ => 1 };

    public static Option<bool> FlushDenormals() => new("--flush-denormals") { Description = "Run ONNX Runtime with denormal floats flushed to zero (session.set_denormal_as_zero), as a deployment that sets it would: masked attention softmaxes are much faster with it" };

    /// <summary>
    /// The line a timing report adds about denormals: whether they were flushed, or, when not asked to and the model masks
    /// a Softmax, a hint that its timing includes the denormal cost; null when neither applies.
    /// </summary>
    public static string? DenormalsNote(bool requested, Shrink.Model.OnnxModel? model = null) => !requested
        ? model is not null && Shrink.Runtime.MaskedSoftmax.Count(model) is int masked and > 0
            ? $"{model.Name}: {masked} Softmax node(s) read a masked input (a fill at or below -1000); their masked outputs are denormal floats, slow on x86: --flush-denormals times the models as a deployment with ONNX Runtime's session.set_denormal_as_zero would run them."
            : null
        : Shrink.Runtime.ModelSession.DenormalsFlushed == true ? "Denormals flushed to zero (ORT session.set_denormal_as_zero) in every session, the baseline's included."
        : "--flush-denormals was given, but an earlier session in this process set ONNX Runtime's denormal mode, so it is not in effect on this thread.";

    public static Option<string> Batches(string fallback) => new("--batch") { Description = $"Batch sizes to time, comma-separated (default {fallback})", DefaultValueFactory = _ => fallback };

    public static Option<int> Runs() => new("--runs") { Description = "Timed runs per model and batch size (default: automatic, about 2 s per batch size)", DefaultValueFactory = _ => 0 };

    public static Option<int> Warmup() => new("--warmup") { Description = "Warm-up runs per model before timing", DefaultValueFactory = _ => 5 };

    public static Option<string?> Json() => new("--json") { Description = "Also write the results as JSON to this file ('-' for standard output)" };

    public static int[] ParseBatches(string text, string option = "--batch")
    {
        var sizes = List(text, option)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b > 0 ? b : throw new UsageException($"{option}: '{s}' is not a positive integer."))
            .Select(b => b <= MaxBatch ? b : throw new UsageException($"{option} {b} is over the limit of {MaxBatch}."))
            .Distinct().ToArray();
        return sizes.Length > 0 ? sizes : throw new UsageException($"{option} needs at least one batch size.");
    }

    /// <summary>
    /// Splits a comma-separated option value, refusing empty items (<c>3,,4</c>, <c>,,,</c>): a doubled comma is a typo
    /// whose intent is unknown, so it is not silently dropped.
    /// </summary>
    public static string[] List(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Length == 1 && items[0].Length == 0) return [];
        if (items.Any(s => s.Length == 0)) throw new UsageException($"{option} '{text}' has an empty item; separate the values with single commas.");
        return items;
    }

    /// <summary>Refuses a negative count given for <paramref name="option"/>.</summary>
    public static int NotNegative(int value, string option) => value >= 0 ? value : throw new UsageException($"{option} must be 0 or positive, not {value}.");


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
    public static Dictionary<string, long[]> ParseInputShapes(IEnumerable<string> specs) =>
        NamedValues(specs, "--input-shape", "name=d1,d2,...", (spec, value) => List(value, "--input-shape")
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0 ? v : throw new UsageException($"--input-shape '{spec}': '{d}' is not a positive integer."))
            .ToArray());

    /// <summary>
    /// Parses repeated <c>NAME=VALUE</c> values of <paramref name="option"/> (the last '=' splits), refusing a missing
    /// name and a name given twice (which value was meant is unknown).
    /// </summary>
    public static Dictionary<string, T> NamedValues<T>(IEnumerable<string> specs, string option, string form, Func<string, string, T> parseValue)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            int eq = spec.LastIndexOf('=');
            if (eq <= 0) throw new UsageException($"{option} must be {form}, not '{spec}'.");
            string name = spec[..eq];
            if (!result.TryAdd(name, parseValue(spec, spec[(eq + 1)..]))) throw new UsageException($"{option} gives '{name}' twice.");
        }
        return result;
    }

    /// <summary>Refuses --input-shape entries that name no input of <paramref name="model"/> or have the wrong rank.</summary>
    public static void CheckInputShapes(IReadOnlyDictionary<string, long[]> shapes, Shrink.Model.OnnxModel model, string modelPath)
    {
        var inputs = CheckInputNames(shapes.Keys, model, modelPath, "--input-shape");
        foreach (var (name, dims) in shapes)
        {
            var spec = inputs[name];
            if (spec.Dims.Count != dims.Length)
                throw new UsageException($"--input-shape {name}: {dims.Length} dims given, but input '{name}' of {modelPath} has rank {spec.Dims.Count}.");
        }
    }

    /// <summary>Refuses <paramref name="names"/> given to <paramref name="option"/> that are not inputs of <paramref name="model"/>; returns the inputs by name.</summary>
    public static Dictionary<string, Shrink.Data.ModelInputSpec> CheckInputNames(IEnumerable<string> names, Shrink.Model.OnnxModel model, string modelPath, string option)
    {
        var inputs = Runtime.ModelInputs.Of(model).ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var name in names)
            if (!inputs.ContainsKey(name))
                throw new UsageException($"{option} names '{name}', which is not an input of {modelPath} (inputs: {string.Join(", ", inputs.Keys)}).");
        return inputs;
    }

    /// <summary>Refuses names in <paramref name="names"/> that are not nodes of <paramref name="model"/>, suggesting close ones (a typo would otherwise be ignored silently).</summary>
    public static void CheckNodeNames(IEnumerable<string> names, Shrink.Model.OnnxModel model, string option)
    {
        HashSet<string>? all = null;
        foreach (var name in names)
        {
            // Nodes inside If/Loop/Scan bodies count: weight-only and dynamic quantization reach into them.
            all ??= new HashSet<string>(model.Graph.Nodes.Concat(Shrink.Model.Subgraphs.Graphs(model.Graph).SelectMany(g => g.Nodes)).SelectMany(n => new[] { n.Name, n.DisplayName }), StringComparer.Ordinal);
            if (all.Contains(name)) continue;
            var close = all.Where(n => n.Length > 0).Select(n => (n, d: EditDistance(n, name))).Where(x => x.d <= Math.Max(2, name.Length / 3)).OrderBy(x => x.d).Take(5).Select(x => x.n).ToList();
            throw new UsageException($"{option} names '{name}', which is not a node of the model" + (close.Count > 0 ? $"; did you mean {string.Join(", ", close.Select(c => $"'{c}'"))}?" : " (see `shrink inspect MODEL` for node names)."));
        }
    }

    private static int EditDistance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8) return int.MaxValue;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
