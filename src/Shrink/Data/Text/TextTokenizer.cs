using Microsoft.ML.Tokenizers;

namespace Shrink.Data.Text;

/// <summary>
/// A Microsoft.ML.Tokenizers tokenizer with what a data source needs around it: the ids that open and close a
/// document (BERT's <c>[CLS]</c> … <c>[SEP]</c>, GPT's <c>&lt;|endoftext|&gt;</c> after each document, a character
/// vocabulary's <c>&lt;eod&gt;</c>) and the padding id. Made by <see cref="TextTokenizers.Open"/>.
/// </summary>
public sealed class TextTokenizer
{
    private readonly CharVocabularyTokenizer? _chars;

    /// <summary>Wraps <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer; its ids for a text are taken without special tokens (this class adds them).</param>
    /// <param name="description">What it is, e.g. <c>gpt2 (tiktoken)</c> or <c>WordPiece vocab.txt</c>.</param>
    /// <param name="documentStart">Ids before each document.</param>
    /// <param name="documentEnd">Ids after each document.</param>
    /// <param name="paddingId">The id padded positions get (their attention mask is 0).</param>
    public TextTokenizer(Tokenizer tokenizer, string description, IReadOnlyList<int> documentStart, IReadOnlyList<int> documentEnd, int paddingId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        Description = description;
        DocumentStart = documentStart;
        DocumentEnd = documentEnd;
        PaddingId = paddingId;
        _chars = tokenizer as CharVocabularyTokenizer;
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>What it is, for messages and data descriptions.</summary>
    public string Description { get; }

    /// <summary>Ids put before each document (e.g. BERT's <c>[CLS]</c>).</summary>
    public IReadOnlyList<int> DocumentStart { get; }

    /// <summary>Ids put after each document (BERT's <c>[SEP]</c>, <c>&lt;|endoftext|&gt;</c>, <c>&lt;eod&gt;</c>); empty when the vocabulary has none.</summary>
    public IReadOnlyList<int> DocumentEnd { get; }

    /// <summary>The id of padded positions.</summary>
    public int PaddingId { get; }

    /// <summary>Appends the ids of <paramref name="text"/> (no special tokens) to <paramref name="ids"/>.</summary>
    public void Encode(string text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (_chars is not null)
            _chars.Encode(text, ids);
        else if (Tokenizer is BertTokenizer bert)
            ids.AddRange(bert.EncodeToIds(text, addSpecialTokens: false));
        else
            ids.AddRange(Tokenizer.EncodeToIds(text));
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
