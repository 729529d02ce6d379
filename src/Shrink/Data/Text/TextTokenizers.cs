using Microsoft.ML.Tokenizers;

namespace Shrink.Data.Text;

/// <summary>
/// Opens a tokenizer from its command-line spec (<c>--tokenizer</c>): a built-in name (<see cref="Names"/>), or a file:
/// a BERT WordPiece <c>vocab.txt</c>, a GPT-2 style byte-level BPE <c>vocab.json</c> with <c>merges.txt</c> beside it,
/// a <c>.tiktoken</c> file, or a character vocabulary <c>.json</c> (<see cref="CharVocabularyTokenizer"/>); a folder
/// holding <c>vocab.txt</c> or <c>vocab.json</c> + <c>merges.txt</c> works too. Every tokenizer is Microsoft.ML.Tokenizers'.
/// </summary>
public static class TextTokenizers
{
    private const string EndOfText = "<|endoftext|>";

    /// <summary>The tokenizers known by name, whose data ships with Shrink (Microsoft.ML.Tokenizers.Data.*).</summary>
    public static IReadOnlyList<string> Names { get; } = ["gpt2", "cl100k_base", "o200k_base"];

    /// <summary>True when <paramref name="spec"/> is one of <see cref="Names"/> (case-insensitive).</summary>
    public static bool IsName(string spec) => Names.Contains(spec, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The file a spec reads, or null for a built-in name; a spec that is neither is refused by <see cref="Open"/>.
    /// </summary>
    public static string? PathOf(string spec) => IsName(spec) ? null : spec;

    /// <summary>Opens the tokenizer <paramref name="spec"/> names.</summary>
    /// <exception cref="ShrinkException">Not a known name nor a readable tokenizer file; the message names it and the valid names.</exception>
    public static TextTokenizer Open(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try
        {
            if (IsName(spec)) return OpenNamed(spec.ToLowerInvariant());
            if (Directory.Exists(spec)) return OpenFolder(spec);
            if (!File.Exists(spec))
                throw new ShrinkException($"{spec}: tokenizer file not found, and not a built-in tokenizer name ({string.Join(", ", Names)}).");
            FileProbe.RequireRegularFile(spec, "tokenizer file");
            string name = Path.GetFileName(spec);
            if (name.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase)) return OpenTiktoken(spec);
            if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return OpenJson(spec);
            if (name.Equals("merges.txt", StringComparison.OrdinalIgnoreCase))
                return OpenBpe(Path.Combine(Path.GetDirectoryName(spec) ?? "", "vocab.json"), spec);
            if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return OpenWordPiece(spec);
            throw new ShrinkException($"{spec}: not a tokenizer file Shrink reads; expected a WordPiece vocab.txt, a BPE vocab.json (with merges.txt beside it), a .tiktoken file, a character vocabulary .json, or a name ({string.Join(", ", Names)}).");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new ShrinkException($"{spec}: cannot read the tokenizer: {e.Message}", e);
        }
    }

    private static TextTokenizer OpenNamed(string name)
    {
        var tokenizer = name == "gpt2" ? TiktokenTokenizer.CreateForModel("gpt2") : TiktokenTokenizer.CreateForEncoding(name);
        return Tiktoken(tokenizer, $"{name} (tiktoken)");
    }

    private static TextTokenizer OpenFolder(string folder)
    {
        string vocabTxt = Path.Combine(folder, "vocab.txt"), vocabJson = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocabJson) && File.Exists(merges)) return OpenBpe(vocabJson, merges);
        if (File.Exists(vocabTxt)) return OpenWordPiece(vocabTxt);
        throw new ShrinkException($"{folder}: a tokenizer folder needs vocab.txt (WordPiece) or vocab.json + merges.txt (BPE); it has neither.");
    }

    private static TextTokenizer OpenTiktoken(string path)
    {
        // The .tiktoken file holds the ranks; the pre-tokenizing pattern and special tokens are those of its encoding.
        string stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        (string model, string encoding) = stem switch
        {
            "gpt2" or "r50k_base" => ("gpt2", stem),
            "p50k_base" => ("text-davinci-003", stem),
            "o200k_base" => ("gpt-4o", stem),
            "cl100k_base" => ("gpt-4", stem),
            _ => ("gpt-4", "cl100k_base pattern"),
        };
        using var stream = File.OpenRead(path);
        return Tiktoken(TiktokenTokenizer.CreateForModel(model, stream), $"{path} (tiktoken, {encoding})");
    }

    private static TextTokenizer Tiktoken(TiktokenTokenizer tokenizer, string description)
    {
        int? end = tokenizer.SpecialTokens is { } s && s.TryGetValue(EndOfText, out int id) ? id : null;
        return new TextTokenizer(tokenizer, description, [], end is int e ? [e] : [], end ?? 0);
    }

    private static TextTokenizer OpenJson(string path)
    {
        using (var stream = File.OpenRead(path))
        using (var doc = System.Text.Json.JsonDocument.Parse(stream))
        {
            if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("chars", out _))
            {
                var chars = CharVocabularyTokenizer.Load(path);
                var end = chars.EndOfDocumentId;
                return new TextTokenizer(chars, $"{path} (characters, {chars.VocabularySize} ids)", [], end is int e ? [e] : [], chars.PaddingId);
            }
        }
        string merges = Path.Combine(Path.GetDirectoryName(path) ?? "", "merges.txt");
        if (!File.Exists(merges))
            throw new ShrinkException($"{path}: a BPE vocab.json needs merges.txt beside it ({merges} not found); a character vocabulary needs a \"chars\" array.");
        return OpenBpe(path, merges);
    }

    private static TextTokenizer OpenBpe(string vocab, string merges)
    {
        if (!File.Exists(vocab))
            throw new ShrinkException($"{merges}: a BPE merges.txt needs vocab.json beside it ({vocab} not found).");
        using var v = File.OpenRead(vocab);
        using var m = File.OpenRead(merges);
        var tokenizer = CodeGenTokenizer.Create(v, m, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        int? end = tokenizer.EndOfSentenceId;
        return new TextTokenizer(tokenizer, $"{vocab} + merges.txt (byte-level BPE)", [], end is int e ? [e] : [], end ?? 0);
    }

    private static TextTokenizer OpenWordPiece(string path)
    {
        // An uncased vocabulary has no upper-case tokens (besides [CLS]-style specials): lower-case the text for it only.
        bool cased = File.ReadLines(path).Any(t => !(t.StartsWith('[') && t.EndsWith(']')) && t.Any(char.IsUpper));
        var tokenizer = BertTokenizer.Create(path, new BertOptions { LowerCaseBeforeTokenization = !cased });
        return new TextTokenizer(tokenizer, $"{path} (WordPiece, {(cased ? "cased" : "lower-cased")})",
            [tokenizer.ClassificationTokenId], [tokenizer.SeparatorTokenId], tokenizer.PaddingTokenId);
    }
}
