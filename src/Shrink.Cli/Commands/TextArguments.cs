using System.Collections.Concurrent;
using Shrink.Data.Text;

namespace Shrink.Cli.Commands;

/// <summary>Checks and binds the text options of <see cref="DataArguments"/> (--tokenizer, --seq-len, --text-mode, --doc-separator) before any work.</summary>
internal static class TextArguments
{
    // A command may bind its data options more than once (e.g. calibration and evaluation): load each tokenizer once.
    private static readonly ConcurrentDictionary<string, TextTokenizer> Loaded = new();

    /// <summary>The text options, or null when --tokenizer is not given (then the other text options are refused).</summary>
    /// <exception cref="UsageException">An option is malformed, given without --tokenizer, or --tokenizer names no file and no built-in tokenizer.</exception>
    /// <exception cref="ShrinkException">The tokenizer file is malformed.</exception>
    public static TextDataOptions? Bind(string? data, string? tokenizer, int? seqLen, string? mode, string? separator)
    {
        if (tokenizer is null)
        {
            string? stray = seqLen is not null ? "--seq-len" : mode is not null ? "--text-mode" : separator is not null ? "--doc-separator" : null;
            if (stray is not null)
                throw new UsageException($"{stray} applies to text data: give --tokenizer too (and a text file as --data).");
            if (data is not null && data.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--data {data} is a text file: give --tokenizer (gpt2, cl100k_base, o200k_base, a vocab.txt, a vocab.json, a .tiktoken file).");
            return null;
        }
        if (data is null || data.StartsWith("random:", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--tokenizer {tokenizer} reads a text file: give it as --data (not {(data is null ? "nothing" : data)}).");
        if (Directory.Exists(data))
            throw new UsageException($"--tokenizer {tokenizer}: --data {data} is a folder; give one text file.");
        if (seqLen is int n && n <= 0)
            throw new UsageException($"--seq-len must be a positive number of tokens, not {n}.");
        var packing = mode switch
        {
            null or "pack" => TextPacking.Pack,
            "pad" => TextPacking.Pad,
            _ => throw new UsageException($"--text-mode must be pack or pad, not '{mode}'."),
        };
        DocumentSeparator? docs = null;
        if (separator is not null)
        {
            if (separator.Length == 0 || separator.Contains('\n') || separator.Contains('\r'))
                throw new UsageException("--doc-separator must be line, blank or a one-line marker such as %.");
            docs = DocumentSeparator.Parse(separator);
        }
        if (!TextTokenizers.IsName(tokenizer) && !File.Exists(tokenizer) && !Directory.Exists(tokenizer))
            throw new UsageException($"--tokenizer {tokenizer}: no such file, and not a built-in tokenizer ({string.Join(", ", TextTokenizers.Names)}).");
        var opened = Loaded.GetOrAdd(Path.GetFullPath(tokenizer) + "|" + tokenizer, _ => TextTokenizers.Open(tokenizer));
        return new TextDataOptions { Tokenizer = opened, SequenceLength = seqLen, Mode = packing, Separator = docs };
    }
}
