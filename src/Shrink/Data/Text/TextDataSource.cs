using System.Globalization;
using Shrink.Model;

namespace Shrink.Data.Text;

/// <summary>
/// A text file tokenized as it is read (bounded memory: one document piece and one window at a time, never the whole
/// corpus) into <c>input_ids</c> samples of the sequence length. <see cref="TextPacking.Pack"/> concatenates the
/// documents, each framed by the tokenizer's start/end ids (<c>[CLS]</c>…<c>[SEP]</c>, …<c>&lt;|endoftext|&gt;</c>,
/// …<c>&lt;eod&gt;</c>), and cuts windows every N tokens (the last, partial window is dropped);
/// <see cref="TextPacking.Pad"/> makes one sample per document, truncated (keeping its end id) or padded with the padding id.
/// The ids feed the model input named by <c>--input</c>, else <c>input_ids</c>, else the model's only integer input.
/// When the model has an <c>attention_mask</c> input it gets 1 on tokens and 0 on pads; a <c>token_type_ids</c> input
/// gets zeros (one segment). Other inputs are left to whoever opened the data.
/// </summary>
public sealed class TextDataSource : IDataSource
{
    /// <summary>The conventional name of the mask input (1 = token, 0 = pad).</summary>
    public const string AttentionMaskName = "attention_mask";

    /// <summary>The conventional name of BERT's segment input.</summary>
    public const string TokenTypeIdsName = "token_type_ids";

    private readonly string _path;
    private readonly TextDataOptions _options;
    private readonly ModelInputSpec _ids;
    private readonly ModelInputSpec? _mask, _types;
    private readonly int _window;

    /// <summary>Checks the options against the model and reads as far as the first sample (an empty text is refused here).</summary>
    /// <param name="path">The text file (UTF-8).</param>
    /// <param name="options">Tokenizer, sequence length, mode and separator.</param>
    /// <param name="modelInputs">The model's inputs.</param>
    /// <param name="inputName">The input the ids feed (<c>--input</c>), or null to find it.</param>
    /// <param name="note">Receives the one note on a sequence length the user did not give.</param>
    /// <exception cref="ShrinkException">The model has no integer input to feed, a length does not fit, or the file gives no sample.</exception>
    public TextDataSource(string path, TextDataOptions options, IReadOnlyList<ModelInputSpec> modelInputs, string? inputName = null, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(modelInputs);
        _path = path;
        _options = options;
        _ids = IdsInput(path, modelInputs, inputName);
        _mask = modelInputs.FirstOrDefault(i => i.Name == AttentionMaskName && i.Name != _ids.Name);
        _types = modelInputs.FirstOrDefault(i => i.Name == TokenTypeIdsName && i.Name != _ids.Name);
        foreach (var extra in new[] { _mask, _types })
            if (extra is not null && !Fillable(extra.Type))
                throw new ShrinkException($"{path}: model input '{extra.Name}' takes {extra.Type.OnnxName()}; a text source fills it only as int64, int32, float, bool or uint8.");
        long? fixedLength = _ids.Dims.Count == 2 ? _ids.Dims[1] : null;
        if (_ids.Dims.Count is not (0 or 2))
            throw new ShrinkException($"{path}: model input '{_ids.Name}' has shape {_ids.ShapeText}; token ids from text are [batch, sequence].");
        if (_ids.BatchAxis != 0)
            throw new ShrinkException($"{path}: model input '{_ids.Name}' has its batch on axis {_ids.BatchAxis}; token ids from text are [batch, sequence].");
        if (options.SequenceLength is int given)
        {
            if (given <= 0) throw new ShrinkException($"{path}: the sequence length must be positive, not {given}.");
            if (fixedLength is long f && f != given)
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"{path}: model input '{_ids.Name}' takes exactly {f} tokens ({_ids.ShapeText}); the sequence length asked is {given}."));
            SequenceLength = given;
        }
        else
        {
            SequenceLength = fixedLength is long f && f is > 0 and <= int.MaxValue ? (int)f : TextDataOptions.DefaultSequenceLength;
            string length = SequenceLength.ToString(CultureInfo.InvariantCulture);
            note?.Invoke(fixedLength is not null
                ? $"text: {length} tokens per sample, the sequence length '{_ids.Name}' fixes (--seq-len)"
                : $"text: {length} tokens per sample (the default; --seq-len sets it)");
        }
        _window = SequenceLength + (options.ExtraToken ? 1 : 0);
        int framing = options.Tokenizer.DocumentStart.Count + options.Tokenizer.DocumentEnd.Count;
        if (options.Mode == TextPacking.Pad && _window <= framing)
            throw new ShrinkException($"{path}: a sequence length of {SequenceLength} leaves no room for text between the {framing} ids {options.Tokenizer.Description} puts around each document.");
        Separator = options.EffectiveSeparator;
        FileProbe.RequireRegularFile(path, "text file");
        if (!Samples().Any())
            throw new ShrinkException(options.Mode == TextPacking.Pack
                ? string.Create(CultureInfo.InvariantCulture, $"{path}: the text gives fewer than {_window} tokens, not one window; give a smaller --seq-len or --text-mode pad.")
                : $"{path}: no document in the text (documents end at {Separator}).");
        Inputs = [.. new[] { _ids, _mask, _types }.OfType<ModelInputSpec>().Select(i => i.Name)];
        string inputs = string.Join(", ", Inputs.Select(i => $"'{i}'"));
        Description = string.Create(CultureInfo.InvariantCulture,
            $"text {path} ({options.Tokenizer.Description}; {(options.Mode == TextPacking.Pack ? "packed windows" : "one document per sample, padded")} of {_window} tokens; documents end at {Separator} → {inputs})");
    }

    /// <summary>The model inputs this source fills: the token ids, and the attention mask and token types when the model has them.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Tokens per sample (the model's input length; samples hold one more when <see cref="TextDataOptions.ExtraToken"/>).</summary>
    public int SequenceLength { get; }

    /// <summary>Where documents end.</summary>
    public DocumentSeparator Separator { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Unknown: the file is not read whole up front.</summary>
    public long? Count => null;

    /// <inheritdoc />
    public bool HasLabels => false;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long limit)
    {
        var pending = new List<Sample>(batchSize);
        long served = 0;
        foreach (var sample in Samples())
        {
            if (served >= limit) break;
            pending.Add(sample);
            served++;
            if (pending.Count == batchSize || served == limit)
            {
                yield return Batch(pending);
                pending.Clear();
            }
        }
        if (pending.Count > 0) yield return Batch(pending);
    }

    /// <summary>One sample: <see cref="Ids"/> of the window length, the first <see cref="Length"/> of them real (the rest pads).</summary>
    internal readonly record struct Sample(int[] Ids, int Length);

    /// <summary>Every sample of the file, in order (each call reads the file afresh).</summary>
    internal IEnumerable<Sample> Samples() => _options.Mode == TextPacking.Pack ? Packed() : Padded();

    private IEnumerable<Sample> Packed()
    {
        var tokenizer = _options.Tokenizer;
        var pending = new List<int>(Math.Max(1024, 2 * _window));
        int position = 0;
        using var reader = new TextDocumentReader(_path, Separator);
        foreach (var piece in reader.Pieces())
        {
            if (piece.StartsDocument) pending.AddRange(tokenizer.DocumentStart);
            Encode(piece.Text, pending);
            if (piece.EndsDocument) pending.AddRange(tokenizer.DocumentEnd);
            while (pending.Count - position >= _window)
            {
                var ids = new int[_window];
                pending.CopyTo(position, ids, 0, _window);
                Check(ids);
                yield return new Sample(ids, _window);
                position += SequenceLength;
            }
            if (position > 0 && position >= pending.Count / 2)
            {
                pending.RemoveRange(0, position);
                position = 0;
            }
        }
    }

    private IEnumerable<Sample> Padded()
    {
        var tokenizer = _options.Tokenizer;
        int room = _window - tokenizer.DocumentStart.Count - tokenizer.DocumentEnd.Count;
        var content = new List<int>();
        bool full = false;
        using var reader = new TextDocumentReader(_path, Separator);
        foreach (var piece in reader.Pieces())
        {
            if (piece.StartsDocument)
            {
                content.Clear();
                full = false;
            }
            if (!full)
            {
                Encode(piece.Text, content);
                full = content.Count >= room;
            }
            if (!piece.EndsDocument) continue;
            var ids = new int[_window];
            int n = 0;
            foreach (int id in tokenizer.DocumentStart) ids[n++] = id;
            int take = Math.Min(room, content.Count);
            content.CopyTo(0, ids, n, take);
            n += take;
            foreach (int id in tokenizer.DocumentEnd) ids[n++] = id;
            ids.AsSpan(n).Fill(tokenizer.PaddingId);
            Check(ids);
            yield return new Sample(ids, n);
        }
    }

    private void Encode(string text, List<int> ids)
    {
        try
        {
            _options.Tokenizer.Encode(text, ids);
        }
        catch (ShrinkException e)
        {
            throw new ShrinkException($"{_path}: {e.Message}", e);
        }
    }

    private void Check(int[] ids)
    {
        if (_ids.IndexLimit is not long limit) return;
        foreach (int id in ids)
            if (id < 0 || id >= limit)
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                    $"{_path}: token id {id} from {_options.Tokenizer.Description} is outside the {limit} rows of the table model input '{_ids.Name}' indexes; is this the model's tokenizer?"));
    }

    private DataBatch Batch(List<Sample> samples)
    {
        int n = samples.Count;
        long[] shape = [n, _window];
        var inputs = new List<BatchTensor>(3) { new(_ids.Name, _ids.Type, shape, Ids(samples)) };
        if (_mask is not null) inputs.Add(new BatchTensor(_mask.Name, _mask.Type, shape, Mask(samples, _mask.Type)));
        if (_types is not null) inputs.Add(new BatchTensor(_types.Name, _types.Type, shape, Zeros(_types.Type, n * _window)));
        return new DataBatch(inputs, n, null);
    }

    private Array Ids(List<Sample> samples)
    {
        if (_ids.Type == ElementType.Int32)
        {
            var ints = new int[samples.Count * _window];
            for (int s = 0; s < samples.Count; s++) samples[s].Ids.CopyTo(ints, s * _window);
            return ints;
        }
        var longs = new long[samples.Count * _window];
        for (int s = 0; s < samples.Count; s++)
        {
            var ids = samples[s].Ids;
            for (int i = 0; i < ids.Length; i++) longs[s * _window + i] = ids[i];
        }
        return longs;
    }

    private Array Mask(List<Sample> samples, ElementType type)
    {
        var mask = Zeros(type, samples.Count * _window);
        for (int s = 0; s < samples.Count; s++)
        {
            int start = s * _window, length = samples[s].Length;
            switch (mask)
            {
                case long[] a: a.AsSpan(start, length).Fill(1L); break;
                case int[] a: a.AsSpan(start, length).Fill(1); break;
                case float[] a: a.AsSpan(start, length).Fill(1f); break;
                case bool[] a: a.AsSpan(start, length).Fill(true); break;
                case byte[] a: a.AsSpan(start, length).Fill(1); break;
            }
        }
        return mask;
    }

    private static bool Fillable(ElementType type) => type is ElementType.Int64 or ElementType.Int32 or ElementType.Float or ElementType.Bool or ElementType.UInt8;

    private static Array Zeros(ElementType type, int count) => type switch
    {
        ElementType.Int64 => new long[count],
        ElementType.Int32 => new int[count],
        ElementType.Float => new float[count],
        ElementType.Bool => new bool[count],
        _ => new byte[count],
    };

    private static ModelInputSpec IdsInput(string path, IReadOnlyList<ModelInputSpec> inputs, string? name)
    {
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}' ({i.Type.OnnxName()})"));
        var input = name is not null
            ? inputs.FirstOrDefault(i => i.Name == name) ?? throw new ShrinkException($"{path}: --input names '{name}', but the model's inputs are {names}.")
            : inputs.FirstOrDefault(i => i.Name == "input_ids")
              ?? (inputs.Count(i => i.Type is ElementType.Int64 or ElementType.Int32) == 1 ? inputs.First(i => i.Type is ElementType.Int64 or ElementType.Int32) : null)
              ?? throw new ShrinkException($"{path}: which model input takes the token ids? The inputs are {names}; none is named input_ids, so name it with --input.");
        if (input.Type is not (ElementType.Int64 or ElementType.Int32))
            throw new ShrinkException($"{path}: model input '{input.Name}' takes {input.Type.OnnxName()}, not token ids (int64 or int32).");
        return input;
    }

    /// <summary>Nothing to release: every pass opens and closes its own file.</summary>
    public void Dispose() { }
}
