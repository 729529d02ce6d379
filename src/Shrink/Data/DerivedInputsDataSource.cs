using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// Fills in the model inputs a data set does not give but that follow from the token ids it does give: an attention
/// mask of ones (an input named like <c>*mask*</c>), token type ids of zeros (<c>token_type_ids</c>, <c>segment_ids</c>)
/// and positions 0..seq-1 along the last axis (<c>position_ids</c>), each shaped like <c>input_ids</c> (or the one
/// integer input given) and typed as the model declares it. Each derived input is said once through the note; any other
/// missing input is an error naming it.
/// </summary>
public sealed class DerivedInputsDataSource : IDataSource
{
    private readonly IDataSource _inner;
    private readonly string _reference;
    private readonly (ModelInputSpec Input, DerivedInput Kind)[] _derived;

    private DerivedInputsDataSource(IDataSource inner, string reference, (ModelInputSpec, DerivedInput)[] derived)
    {
        _inner = inner;
        _reference = reference;
        _derived = derived;
    }

    /// <summary>How an input called <paramref name="name"/> of type <paramref name="type"/> can be derived, from its name and type.</summary>
    internal static DerivedInput KindOf(string name, ElementType type)
    {
        string n = name.ToLowerInvariant();
        bool integer = type is ElementType.Int64 or ElementType.Int32;
        if (n.Contains("mask", StringComparison.Ordinal) && ElementConversion.Supports(type)) return DerivedInput.Mask;
        if (integer && (n.Contains("token_type", StringComparison.Ordinal) || n.Contains("segment_id", StringComparison.Ordinal))) return DerivedInput.TokenTypes;
        if (integer && n.Contains("position_id", StringComparison.Ordinal)) return DerivedInput.Positions;
        return DerivedInput.None;
    }

    /// <summary>
    /// Wraps <paramref name="source"/>, which gives the inputs named in <paramref name="given"/>, so that it gives every
    /// model input; returns it unchanged when nothing is missing.
    /// </summary>
    /// <param name="source">The data as read.</param>
    /// <param name="given">The model inputs <paramref name="source"/>'s batches carry.</param>
    /// <param name="inputs">The model's inputs.</param>
    /// <param name="note">Told once per derived input how it is fed.</param>
    /// <param name="dataPath">Names the data in errors.</param>
    /// <exception cref="ShrinkException">A missing input cannot be derived (the message names it), or there are no token ids to shape the derived ones by.</exception>
    public static IDataSource Wrap(IDataSource source, IReadOnlyCollection<string> given, IReadOnlyList<ModelInputSpec> inputs, Action<string>? note, string dataPath)
    {
        ArgumentNullException.ThrowIfNull(source);
        var missing = inputs.Where(i => !given.Contains(i.Name)).ToArray();
        if (missing.Length == 0) return source;
        string givenText = string.Join(", ", given.Select(g => $"'{g}'"));
        var underivable = missing.Where(i => KindOf(i.Name, i.Type) == DerivedInput.None).ToArray();
        if (underivable.Length > 0)
            throw new ShrinkException($"{dataPath}: gives {givenText} but not {string.Join(", ", underivable.Select(i => $"'{i.Name}' {i.Type.OnnxName()} {i.ShapeText}"))}, " +
                "which cannot be derived (only attention masks, token type ids and position ids are filled in); add it to the data.");
        var reference = inputs.FirstOrDefault(i => given.Contains(i.Name) && i.Name.Equals("input_ids", StringComparison.OrdinalIgnoreCase))
            ?? SingleOrNull(inputs.Where(i => given.Contains(i.Name) && i.Type is ElementType.Int64 or ElementType.Int32).ToArray())
            ?? throw new ShrinkException($"{dataPath}: gives {givenText} but not {string.Join(", ", missing.Select(i => $"'{i.Name}'"))}; " +
                "these can be derived from token ids, but the data gives no 'input_ids' (or a single integer input) to shape them by.");
        foreach (var m in missing)
            if (m.Dims.Count > 0 && reference.Dims.Count > 0 && m.Dims.Count != reference.Dims.Count)
                throw new ShrinkException($"{dataPath}: model input '{m.Name}' {m.ShapeText} is not shaped like '{reference.Name}' {reference.ShapeText}, so it cannot be derived from it; add it to the data.");
        var derived = missing.Select(m => (m, KindOf(m.Name, m.Type))).ToArray();
        foreach (var (m, kind) in derived)
            note?.Invoke(kind switch
            {
                DerivedInput.Mask => $"'{m.Name}' is not in the data: fed as ones (every token attended), shaped like '{reference.Name}'",
                DerivedInput.TokenTypes => $"'{m.Name}' is not in the data: fed as zeros (one segment), shaped like '{reference.Name}'",
                _ => $"'{m.Name}' is not in the data: fed as positions 0..n-1 along the last axis of '{reference.Name}'",
            });
        return new DerivedInputsDataSource(source, reference.Name, derived);
    }

    private static ModelInputSpec? SingleOrNull(ModelInputSpec[] candidates) => candidates.Length == 1 ? candidates[0] : null;

    /// <inheritdoc />
    public string Description => $"{_inner.Description}, with {string.Join(", ", _derived.Select(d => $"'{d.Input.Name}'"))} derived";

    /// <inheritdoc />
    public long? Count => _inner.Count;

    /// <inheritdoc />
    public bool HasLabels => _inner.HasLabels;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        foreach (var batch in _inner.ReadBatches(batchSize, limit))
        {
            var reference = batch.Inputs.FirstOrDefault(t => t.Name == _reference)
                ?? throw new ShrinkException($"{_inner.Description}: a batch lacks '{_reference}', which the derived inputs are shaped by.");
            yield return new DataBatch([.. batch.Inputs, .. _derived.Select(d => Derive(d.Input, d.Kind, reference))], batch.Count, batch.Labels);
        }
    }

    private static BatchTensor Derive(ModelInputSpec input, DerivedInput kind, BatchTensor like)
    {
        long count = like.Data.LongLength;
        long last = like.Shape.Length == 0 ? 1 : Math.Max(1, like.Shape[^1]);
        Array data = input.Type switch
        {
            ElementType.Int64 => Fill(count, kind, last, i => i, 1L),
            ElementType.Int32 => Fill(count, kind, last, i => (int)i, 1),
            ElementType.Float => Fill(count, kind, last, i => (float)i, 1f),
            ElementType.Double => Fill(count, kind, last, i => (double)i, 1d),
            ElementType.Float16 => Fill(count, kind, last, i => (Half)i, (Half)1),
            ElementType.UInt8 => Fill(count, kind, last, i => (byte)i, (byte)1),
            ElementType.Int8 => Fill(count, kind, last, i => (sbyte)i, (sbyte)1),
            ElementType.Bool => Fill(count, kind, last, i => i != 0, true),
            _ => throw new ShrinkException($"Model input '{input.Name}' of type {input.Type.OnnxName()} cannot be derived."),
        };
        return new BatchTensor(input.Name, input.Type, (long[])like.Shape.Clone(), data, like.BatchAxis);
    }

    private static T[] Fill<T>(long count, DerivedInput kind, long last, Func<long, T> position, T one)
    {
        var data = new T[count];
        if (kind == DerivedInput.Mask) Array.Fill(data, one);
        else if (kind == DerivedInput.Positions)
            for (long i = 0; i < count; i++) data[i] = position(i % last);
        return data;
    }

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();
}
