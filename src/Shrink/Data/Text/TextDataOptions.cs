namespace Shrink.Data.Text;

/// <summary>
/// How a text file is tokenized and cut into samples (<c>--tokenizer</c>, <c>--seq-len</c>, <c>--text-mode</c>,
/// <c>--doc-separator</c>). Set as <see cref="DataOptions.FileReader"/>; the file is then read by <see cref="TextDataSource"/>.
/// </summary>
public sealed record TextDataOptions : IDataFileReader
{
    /// <inheritdoc />
    /// <remarks>Other inputs that can be derived from the ids (positions) are filled by <see cref="DerivedInputsDataSource"/>.</remarks>
    public IDataSource Open(string path, IReadOnlyList<ModelInputSpec> modelInputs, string? inputName, Action<string>? note)
    {
        var text = new TextDataSource(path, this, modelInputs, inputName, note);
        return DerivedInputsDataSource.Wrap(text, text.Inputs, modelInputs, note, path);
    }

    /// <inheritdoc />
    public IDataFileReader ForNextTokenWindows() => this with { ExtraToken = true };

    /// <summary>The tokenizer (opened before any work, so a bad file is refused first).</summary>
    public required TextTokenizer Tokenizer { get; init; }

    /// <summary>Tokens per sample; null for the model's fixed sequence dim, else <see cref="DefaultSequenceLength"/>.</summary>
    public int? SequenceLength { get; init; }

    /// <summary>Packing (the default) or padding.</summary>
    public TextPacking Mode { get; init; } = TextPacking.Pack;

    /// <summary>Where documents end; null for the mode's default: <see cref="DocumentSeparator.Blank"/> when packing, <see cref="DocumentSeparator.Line"/> when padding.</summary>
    public DocumentSeparator? Separator { get; init; }

    /// <summary>
    /// True to make every sample one token longer than <see cref="SequenceLength"/>: windows of N+1 tokens, as
    /// next-token evaluation needs (input = window[..N], target = window[1..]). Every tensor the source emits then has
    /// N+1 columns, and whoever sets this (the LM task) drops the last column before running the model. Packed windows
    /// still start every N tokens, so each token is a target once.
    /// </summary>
    public bool ExtraToken { get; init; }

    /// <summary>The sequence length when neither the option nor the model fixes one.</summary>
    public const int DefaultSequenceLength = 128;

    /// <summary>The separator in force for <see cref="Mode"/>.</summary>
    public DocumentSeparator EffectiveSeparator => Separator ?? (Mode == TextPacking.Pad ? DocumentSeparator.Line : DocumentSeparator.Blank);
}
