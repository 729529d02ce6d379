using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Shrink.Data.Text;

/// <summary>
/// A character vocabulary (one id per character, as character-level LMs use) read from JSON
/// <c>{"chars": ["&lt;eod&gt;", "&lt;unk&gt;", "\t", "\n", " ", ...], "ids": {"&lt;eod&gt;": 0, "&lt;unk&gt;": 1}}</c>:
/// id i ↔ <c>chars[i]</c>. Entries of one character are matched in the text; longer entries (and the names in
/// <c>ids</c>) are special tokens, never matched. A character outside the vocabulary becomes one <c>&lt;unk&gt;</c> per
/// byte of its UTF-8 encoding, the rule of a vocabulary defined over bytes (tiny_gpt's: "bytes 9, 10, 32..126 map to
/// ids 2, 3, 4..98, other bytes to &lt;unk&gt;"), so a corpus tokenized here gives the ids its training code gave.
/// </summary>
public sealed class CharVocabularyTokenizer : Tokenizer
{
    private static readonly string[] EndNames = ["<eod>", "<eos>", "</s>", "<|endoftext|>"];
    private readonly Dictionary<int, int> _ids = [];
    private readonly int[] _ascii = new int[128];
    private readonly string[] _tokens;

    /// <summary>Creates the tokenizer from the vocabulary's entries (id i ↔ <paramref name="tokens"/>[i]) and its named special ids.</summary>
    /// <exception cref="ArgumentException">An entry is empty or a character appears twice.</exception>
    public CharVocabularyTokenizer(IReadOnlyList<string> tokens, IReadOnlyDictionary<string, int> specialIds)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(specialIds);
        Array.Fill(_ascii, -1);
        _tokens = [.. tokens];
        var specials = new Dictionary<string, int>(specialIds);
        for (int id = 0; id < _tokens.Length; id++)
        {
            string token = _tokens[id];
            if (token.Length == 0)
                throw new ArgumentException($"Entry {id} of the character vocabulary is empty.", nameof(tokens));
            if (Rune.TryGetRuneAt(token, 0, out var rune) && rune.Utf16SequenceLength == token.Length)
            {
                if (!_ids.TryAdd(rune.Value, id))
                    throw new ArgumentException($"Character {Show(token)} appears twice in the vocabulary (ids {_ids[rune.Value]} and {id}).", nameof(tokens));
                if (rune.Value < 128) _ascii[rune.Value] = id;
            }
            else
                specials.TryAdd(token, id);
        }
        foreach (var (name, id) in specials)
            if (id < 0 || id >= _tokens.Length)
                throw new ArgumentException($"Special token {name} has id {id}, outside the vocabulary's {_tokens.Length} entries.", nameof(specialIds));
        SpecialTokens = specials;
        UnknownId = specials.TryGetValue("<unk>", out int unk) ? unk : null;
        EndOfDocumentId = EndNames.Select(n => specials.TryGetValue(n, out int v) ? v : (int?)null).FirstOrDefault(v => v is not null);
        PaddingId = specials.TryGetValue("<pad>", out int pad) ? pad : EndOfDocumentId ?? 0;
    }

    /// <summary>Entries in the vocabulary (ids are 0..VocabularySize-1).</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>Special tokens by name (entries longer than one character, and the names of the file's <c>ids</c>).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The id of <c>&lt;unk&gt;</c>; null when the vocabulary has none (then an unknown character is refused).</summary>
    public int? UnknownId { get; }

    /// <summary>The id that ends a document (<c>&lt;eod&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;/s&gt;</c> or <c>&lt;|endoftext|&gt;</c>), when the vocabulary has one.</summary>
    public int? EndOfDocumentId { get; }

    /// <summary>The id padding uses: <c>&lt;pad&gt;</c>, else the end-of-document id, else 0.</summary>
    public int PaddingId { get; }

    /// <summary>Reads a vocabulary file <c>{"chars": [...], "ids": {...}}</c>.</summary>
    /// <exception cref="ShrinkException">The file is not such a JSON object; the message names it.</exception>
    public static CharVocabularyTokenizer Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("chars", out var chars) || chars.ValueKind != JsonValueKind.Array)
                throw new ShrinkException($"{path}: a character vocabulary needs a \"chars\" array (id i ↔ chars[i]).");
            var tokens = chars.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ShrinkException($"{path}: chars[{i}] is not a string.")).ToArray();
            var ids = new Dictionary<string, int>();
            if (doc.RootElement.TryGetProperty("ids", out var named) && named.ValueKind == JsonValueKind.Object)
                foreach (var p in named.EnumerateObject())
                    ids[p.Name] = p.Value.TryGetInt32(out int v) ? v : throw new ShrinkException($"{path}: ids.{p.Name} is not an integer.");
            return new CharVocabularyTokenizer(tokens, ids);
        }
        catch (JsonException e)
        {
            throw new ShrinkException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ShrinkException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/> without allocating per character.</summary>
    /// <exception cref="ShrinkException">A character is outside the vocabulary and it has no <c>&lt;unk&gt;</c>.</exception>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 128 && _ascii[c] >= 0)
            {
                ids.Add(_ascii[c]);
                continue;
            }
            int length = 1;
            int value = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                value = char.ConvertToUtf32(c, text[i + 1]);
                length = 2;
            }
            if (_ids.TryGetValue(value, out int id))
                ids.Add(id);
            else
            {
                int unk = UnknownId ?? throw new ShrinkException($"character {Show(text.Slice(i, length).ToString())} is not in the vocabulary, which has no <unk>.");
                int bytes = Rune.TryCreate(value, out var rune) ? rune.Utf8SequenceLength : 3;
                for (int b = 0; b < bytes; b++) ids.Add(unk);
            }
            i += length - 1;
        }
    }

    /// <inheritdoc />
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var ids = new List<int>(span.Length);
        var tokens = new List<EncodedToken>(span.Length);
        int consumed = 0;
        var one = new List<int>(4);
        while (consumed < span.Length)
        {
            int length = char.IsHighSurrogate(span[consumed]) && consumed + 1 < span.Length && char.IsLowSurrogate(span[consumed + 1]) ? 2 : 1;
            one.Clear();
            Encode(span.Slice(consumed, length), one);
            if (tokens.Count + one.Count > settings.MaxTokenCount) break;
            foreach (int id in one)
                tokens.Add(new EncodedToken(id, _tokens[id], new Range(consumed, consumed + length)));
            consumed += length;
        }
        return new EncodeResults<EncodedToken> { Tokens = tokens, CharsConsumed = consumed, NormalizedText = null };
    }

    /// <inheritdoc />
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var span = text is null ? textSpan : text.AsSpan();
        var ids = new List<int>(span.Length);
        Encode(span, ids);
        int consumed = span.Length;
        if (ids.Count > settings.MaxTokenCount)
        {
            var tokens = EncodeToTokens(text, textSpan, settings);
            return new EncodeResults<int> { Tokens = tokens.Tokens.Select(t => t.Id).ToList(), CharsConsumed = tokens.CharsConsumed, NormalizedText = null };
        }
        return new EncodeResults<int> { Tokens = ids, CharsConsumed = consumed, NormalizedText = null };
    }

    /// <summary>Decodes ids to text; special tokens decode to their names.</summary>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = 0;
        charsWritten = 0;
        foreach (int id in ids)
        {
            if (id < 0 || id >= _tokens.Length) return OperationStatus.InvalidData;
            string token = _tokens[id];
            if (token.Length > destination.Length - charsWritten) return OperationStatus.DestinationTooSmall;
            token.AsSpan().CopyTo(destination[charsWritten..]);
            charsWritten += token.Length;
            idsConsumed++;
        }
        return OperationStatus.Done;
    }

    private static string Show(string s)
    {
        int value = Rune.TryGetRuneAt(s, 0, out var rune) ? rune.Value : s[0];
        return char.IsControl(s[0]) || char.IsSurrogate(s[0]) && value == s[0] ? $"U+{value:X4}" : $"'{s}' (U+{value:X4})";
    }
}
