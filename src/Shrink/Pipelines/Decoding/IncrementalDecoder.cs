using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Pipelines.Decoding;

/// <summary>
/// Runs a decoder with a KV cache over token windows [batch, L] as generation does: a prefill of the first P tokens with
/// an empty cache, then one token per run with the present outputs fed back as the past inputs. Its outputs are those of
/// one full-sequence run: the scores of every position [batch, L, vocab] and the cache of all L tokens.
/// </summary>
/// <remarks>
/// The prefill length is <see cref="Prefill"/> when set (0 or 1: one token at a time from the start), else half the
/// window (L/2, at least 1): the first half exercises the prefill path, the second half the decode path with caches of
/// growing length. Windows longer than the model accepts (a learned position table) are cut to the longest length that
/// runs, found once by trying a prefill of zeros, and said once through the note callback.
/// </remarks>
public sealed class IncrementalDecoder : IModelRunner
{
    private readonly ModelSession _session;
    private readonly Action<string>? _note;
    private readonly Dictionary<int, int> _fits = [];

    /// <summary>Creates a decoder over <paramref name="session"/> with the cache <paramref name="layout"/>.</summary>
    public IncrementalDecoder(ModelSession session, KvCacheLayout layout, int? prefill = null, Action<string>? note = null)
    {
        if (prefill < 0) throw new ArgumentOutOfRangeException(nameof(prefill), prefill, "The prefill length must not be negative.");
        _session = session;
        Layout = layout;
        Prefill = prefill;
        _note = note;
    }

    /// <summary>The cache layout.</summary>
    public KvCacheLayout Layout { get; }

    /// <summary>Tokens of the first run (null: half the window; 0 or 1: one token per run from the start).</summary>
    public int? Prefill { get; }

    /// <inheritdoc />
    public string DisplayName => _session.DisplayName;

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>The prefill length used for windows of <paramref name="length"/> tokens.</summary>
    public int PrefillFor(int length) => Math.Clamp(Prefill ?? length / 2, 1, Math.Max(1, length));

    /// <inheritdoc />
    /// <exception cref="ShrinkException">The batch has no token input, or a run fails (the message names the positions).</exception>
    public IReadOnlyList<OutputTensor> Run(DataBatch batch)
    {
        var tokens = Tokens(batch);
        int b = (int)tokens.Shape[0];
        int length = FitLength((int)tokens.Shape[1]);
        float[]? logits = null;
        long vocab = 0;
        IReadOnlyList<OutputTensor> last = [];
        int logitsIndex = IndexOf(Layout.LogitsOutput);
        foreach (var step in Steps(batch))
        {
            var o = step.Outputs[logitsIndex];
            if (o.Shape.Length != 3 || o.Shape[0] != b || o.Shape[1] != step.Length)
                throw new ShrinkException($"{DisplayName}: output '{o.Name}' has shape [{string.Join(",", o.Shape)}] for {step.Length} token(s) of {b} window(s); expected [batch,seq,vocab].");
            vocab = o.Shape[2];
            logits ??= new float[b * length * vocab];
            for (int s = 0; s < b; s++)
                Array.Copy(o.Data, s * step.Length * vocab, logits, (s * length + step.Start) * vocab, step.Length * vocab);
            last = step.Outputs;
        }
        return [.. last.Select((o, k) => k == logitsIndex ? new OutputTensor(o.Name, [b, length, vocab], logits!) : o)];
    }

    /// <summary>
    /// The runs over <paramref name="windows"/> (its token input [batch, L]; other inputs are ignored), lazily: each step
    /// is run when enumerated, so a caller may stop early. The cache of the previous step is the only state held.
    /// </summary>
    public IEnumerable<DecodingStep> Steps(DataBatch windows)
    {
        var tokens = Tokens(windows);
        int length = FitLength((int)tokens.Shape[1]);
        return Decode(tokens, length);
    }

    private IEnumerable<DecodingStep> Decode(BatchTensor tokens, int length)
    {
        int b = (int)tokens.Shape[0];
        var cache = Layout.Pairs.Select(p => new BatchTensor(p.Past, ElementType.Float, p.EmptyShape(b), Array.Empty<float>(), p.BatchAxis)).ToArray();
        int prefill = PrefillFor(length);
        var presentIndex = Layout.Pairs.Select(p => IndexOf(p.Present)).ToArray();
        for (int start = 0; start < length;)
        {
            int n = start == 0 ? prefill : 1;
            var inputs = new DataBatch([Slice(tokens, start, n), .. cache], b, null);
            IReadOnlyList<OutputTensor> outputs;
            try
            {
                outputs = _session.Run(inputs);
            }
            catch (ShrinkException e)
            {
                throw new ShrinkException($"{DisplayName}: decoding tokens {start}..{start + n - 1} with a cache of {start} token(s) failed: {e.Message}", e);
            }
            yield return new DecodingStep(start, n, inputs, outputs);
            cache = [.. Layout.Pairs.Select((p, k) => new BatchTensor(p.Past, ElementType.Float, outputs[presentIndex[k]].Shape, outputs[presentIndex[k]].Data, p.BatchAxis))];
            start += n;
        }
    }

    /// <summary>
    /// The longest length up to <paramref name="length"/> that the model runs (a prefill of zeros at batch 1), found once
    /// per length; a shorter one is said through the note callback.
    /// </summary>
    /// <exception cref="ShrinkException">Not even one token runs.</exception>
    public int FitLength(int length)
    {
        if (_fits.TryGetValue(length, out int fit)) return fit;
        if (length <= 1 || Runs(length, out _))
        {
            fit = length;
        }
        else
        {
            if (!Runs(1, out string? error))
                throw new ShrinkException($"{DisplayName}: one token with an empty cache does not run: {error}");
            int lo = 1, hi = length; // runs at lo, fails at hi
            while (hi - lo > 1)
            {
                int mid = lo + (hi - lo) / 2;
                if (Runs(mid, out _)) lo = mid; else hi = mid;
            }
            fit = lo;
            _note?.Invoke($"{DisplayName}: windows of {length} tokens are cut to {fit}, the longest the model runs (its context).");
        }
        _fits[length] = fit;
        return fit;
    }

    private bool Runs(int length, out string? error)
    {
        var tokens = new BatchTensor(Layout.TokenInput, TokenType, [1, length], TokenType == ElementType.Int64 ? new long[length] : new int[length]);
        var inputs = new DataBatch([tokens, .. Layout.Pairs.Select(p => new BatchTensor(p.Past, ElementType.Float, p.EmptyShape(1), Array.Empty<float>(), p.BatchAxis))], 1, null);
        return _session.TryRun(inputs, out error);
    }

    private ElementType TokenType => _session.Inputs.First(i => i.Name == Layout.TokenInput).Type;

    private int IndexOf(string output)
    {
        for (int k = 0; k < _session.OutputNames.Count; k++)
            if (_session.OutputNames[k] == output) return k;
        throw new ShrinkException($"{DisplayName}: no output '{output}'.");
    }

    private BatchTensor Tokens(DataBatch batch)
    {
        var tokens = batch.Inputs.FirstOrDefault(t => t.Name == Layout.TokenInput)
            ?? throw new ShrinkException($"{DisplayName}: the data gives no values for the token input '{Layout.TokenInput}'.");
        if (tokens.Shape.Length != 2 || tokens.Shape[1] < 1)
            throw new ShrinkException($"{DisplayName}: token input '{tokens.Name}' has shape [{string.Join(",", tokens.Shape)}]; the decoder runs windows [batch, length ≥ 1].");
        return tokens;
    }

    /// <summary>Columns [start, start + count) of a [batch, L] token tensor.</summary>
    internal static BatchTensor Slice(BatchTensor tokens, int start, int count)
    {
        int b = (int)tokens.Shape[0], length = (int)tokens.Shape[1];
        if (start == 0 && count == length) return tokens;
        var data = Array.CreateInstance(tokens.Data.GetType().GetElementType()!, b * count);
        for (int s = 0; s < b; s++)
            Array.Copy(tokens.Data, s * length + start, data, s * count, count);
        return new BatchTensor(tokens.Name, tokens.Type, [b, count], data);
    }
}
