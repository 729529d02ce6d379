using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// JSON Lines (<c>.jsonl</c>, <c>.ndjson</c>, optionally gzipped): one JSON object per line, one sample per object,
/// keyed by model input name, e.g. <c>{"input_ids": [101, 7592, 102], "attention_mask": [1, 1, 1]}</c>. A value is a
/// number (a per-sample scalar, e.g. a timestep) or nested arrays for a sample of rank 1 and above; every line must give
/// the same keys with the same shapes (pad sequences to one length). Integer inputs take integers only; bool inputs
/// take true/false or 0/1; float inputs take any number. A key <c>label</c> or <c>labels</c> (when no input has that
/// name) gives the class label. Inputs the lines do not give are left to <see cref="DerivedInputsDataSource"/>. The
/// whole file is checked once when opened; each pass then streams it line by line.
/// </summary>
public sealed class JsonLinesDataSource : IDataSource
{
    private const int MaxRank = 16;
    private const int MaxLineBytes = 256 << 20;

    private readonly string _path;
    private readonly Slot[] _slots;

    /// <summary>One key of the objects: the model input it feeds (or the labels), its sample shape and the values of the line being read.</summary>
    private sealed class Slot(string name, byte[] utf8Name, ModelInputSpec? input)
    {
        public string Name { get; } = name;
        public byte[] Utf8Name { get; } = utf8Name;
        public ModelInputSpec? Input { get; } = input;
        public bool Integer => Input is null || Input.Type is not (ElementType.Float or ElementType.Float16 or ElementType.Double);
        public long[] Dims { get; } = [.. Enumerable.Repeat(-1L, MaxRank)];
        public int Rank { get; set; } = -1;
        public long[] Longs { get; set; } = new long[16];
        public double[] Doubles { get; set; } = new double[16];
        public int Count { get; set; }
        public bool Seen { get; set; }
        public long[] SampleShape => Dims[..Rank];
    }

    /// <summary>Reads the whole file once, checking every line against the first and the keys against <paramref name="inputs"/>.</summary>
    /// <exception cref="ShrinkException">A line is not a JSON object, a key is not a model input, a value has the wrong type for its input, or shapes differ between lines or from the input's; the message names the file, the line and the key.</exception>
    public JsonLinesDataSource(string path, IReadOnlyList<ModelInputSpec> inputs)
    {
        _path = path;
        var slots = new List<Slot>();
        long count = 0;
        foreach (var (number, line) in Lines())
        {
            if (count == 0)
            {
                Parse(line.Span, number, slots, inputs);
                foreach (var s in slots)
                {
                    string origin = $"{path}:{number}";
                    if (s.Input is null)
                    {
                        if (s.Rank != 0)
                            throw new ShrinkException($"{origin}: '{s.Name}' must be one integer class index per line.");
                        continue;
                    }
                    NamedInputFit.CheckShape(s.Input, s.SampleShape, false, origin);
                }
                if (slots.All(s => s.Input is null))
                    throw new ShrinkException($"{path}:{number}: no key feeds a model input; the model's inputs are {NamedInputFit.Names(inputs)}.");
            }
            else
            {
                Parse(line.Span, number, null, inputs);
            }
            count++;
            if (count == 1) _slots = [.. slots];
        }
        if (count == 0)
            throw new ShrinkException($"{path}: empty data set (no JSON lines).");
        _slots ??= [.. slots];
        Count = count;
        Inputs = [.. _slots.Where(s => s.Input is not null).Select(s => s.Name)];
        Description = $"JSON Lines {path} ({count} samples: " +
            string.Join(", ", _slots.Where(s => s.Input is not null).Select(s => $"'{s.Name}' [{string.Join(",", s.SampleShape.Prepend(count))}]")) +
            (HasLabels ? ", labels" : "") + ")";
    }

    /// <summary>The model inputs the lines feed.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count { get; }

    /// <inheritdoc />
    public bool HasLabels => _slots.Any(s => s.Input is null);

    /// <summary>True for a path ending in <c>.jsonl</c> or <c>.ndjson</c> (optionally <c>.gz</c>).</summary>
    public static bool IsJsonLinesPath(string path)
    {
        string p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return p.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit, Count!.Value));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long total)
    {
        if (total == 0) yield break;
        int[] elements = [.. _slots.Select(s => (int)s.SampleShape.Aggregate(1L, (a, d) => a * d))];
        long done = 0;
        int n = 0;
        long[]?[] longs = new long[]?[_slots.Length];
        double[]?[] doubles = new double[]?[_slots.Length];
        int size = (int)Math.Min(batchSize, total);
        foreach (var (number, line) in Lines())
        {
            if (n == 0)
            {
                for (int k = 0; k < _slots.Length; k++)
                {
                    if (_slots[k].Integer) longs[k] = new long[size * elements[k]];
                    else doubles[k] = new double[size * elements[k]];
                }
            }
            Parse(line.Span, number, null, null);
            for (int k = 0; k < _slots.Length; k++)
            {
                if (_slots[k].Integer) _slots[k].Longs.AsSpan(0, elements[k]).CopyTo(longs[k].AsSpan(n * elements[k]));
                else _slots[k].Doubles.AsSpan(0, elements[k]).CopyTo(doubles[k].AsSpan(n * elements[k]));
            }
            n++;
            done++;
            if (n == size || done == total)
            {
                yield return Batch(longs, doubles, n);
                size = (int)Math.Min(batchSize, total - done);
                n = 0;
                if (done == total) yield break;
            }
        }
        throw new ShrinkException($"{_path}: the file ended after {done} of {total} samples; was it changed while it was read?");
    }

    private DataBatch Batch(long[]?[] longs, double[]?[] doubles, int n)
    {
        var tensors = new List<BatchTensor>();
        int[]? labels = null;
        for (int k = 0; k < _slots.Length; k++)
        {
            var s = _slots[k];
            if (s.Input is null)
            {
                labels = NamedInputFit.Labels(longs[k].AsSpan(0, n), _path);
                continue;
            }
            var values = s.Integer
                ? ElementConversion.FromInt64(longs[k], s.Input.Type, _path, s.Name)
                : ElementConversion.FromDouble(doubles[k], s.Input.Type, _path, s.Name);
            tensors.Add(NamedInputFit.Stack(s.Input, s.SampleShape, values, n));
        }
        return new DataBatch(tensors, n, labels);
    }

    /// <summary>
    /// Parses one line into the slots' value buffers. With <paramref name="discover"/> (the first line) the keys and
    /// shapes are learnt; afterwards every line must match them.
    /// </summary>
    private void Parse(ReadOnlySpan<byte> line, long number, List<Slot>? discover, IReadOnlyList<ModelInputSpec>? inputs)
    {
        string origin = $"{_path}:{number.ToString(CultureInfo.InvariantCulture)}";
        IReadOnlyList<Slot> slots = discover ?? (IReadOnlyList<Slot>)_slots;
        foreach (var s in slots) s.Seen = false;
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new ShrinkException($"{origin}: each line must be one JSON object such as {{\"input_ids\": [1, 2, 3]}}.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var slot = FindSlot(ref reader, slots);
                if (slot is null)
                {
                    string name = reader.GetString()!;
                    if (discover is null)
                        throw new ShrinkException($"{origin}: key '{name}' is not in the first line; every line needs the same keys.");
                    var input = NamedInputFit.IsLabels(name, inputs!) ? null : NamedInputFit.Find(inputs!, name, origin);
                    slot = new Slot(name, Encoding.UTF8.GetBytes(name), input);
                    discover.Add(slot);
                }
                if (slot.Seen)
                    throw new ShrinkException($"{origin}: key '{slot.Name}' appears twice.");
                slot.Seen = true;
                reader.Read();
                ParseValue(ref reader, slot, origin, discover is not null);
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw new ShrinkException($"{origin}: each line must hold exactly one JSON object.");
        }
        catch (JsonException e)
        {
            throw new ShrinkException($"{origin}: not valid JSON: {e.Message}", e);
        }
        if (slots.FirstOrDefault(s => !s.Seen) is { } missing)
            throw new ShrinkException($"{origin}: key '{missing.Name}' is missing; every line needs the keys of the first.");
    }

    private static Slot? FindSlot(ref Utf8JsonReader reader, IReadOnlyList<Slot> slots)
    {
        foreach (var s in slots)
            if (reader.ValueTextEquals(s.Utf8Name)) return s;
        return null;
    }

    private static void ParseValue(ref Utf8JsonReader reader, Slot slot, string origin, bool discover)
    {
        Span<long> counts = stackalloc long[MaxRank];
        int depth = 0;
        slot.Count = 0;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    if (depth >= MaxRank || depth == slot.Rank)
                        throw Mismatch(slot, origin, depth == slot.Rank ? $"an array where line 1 has a number (rank {slot.Rank})" : $"arrays nested deeper than {MaxRank}");
                    if (depth > 0) counts[depth - 1]++;
                    counts[depth++] = 0;
                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    if (counts[depth] == 0)
                        throw new ShrinkException($"{origin}: '{slot.Name}' holds an empty array; every dim must be positive.");
                    if (slot.Dims[depth] < 0 && discover)
                        slot.Dims[depth] = counts[depth];
                    else if (slot.Dims[depth] != counts[depth])
                        throw Mismatch(slot, origin, $"{counts[depth]} values along axis {depth} where {(discover ? "its other rows have" : "line 1 has")} {slot.Dims[depth]}");
                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                    if (depth > 0) counts[depth - 1]++;
                    if (slot.Rank < 0 && discover) slot.Rank = depth;
                    else if (slot.Rank != depth) throw Mismatch(slot, origin, $"a number at depth {depth} where {(discover ? "others are at" : "line 1 has them at")} depth {slot.Rank}");
                    Store(ref reader, slot, origin, discover);
                    break;
                default:
                    throw new ShrinkException($"{origin}: '{slot.Name}' holds {reader.TokenType.ToString().ToLowerInvariant()}; values must be numbers (or booleans), in nested arrays for ranks above 0.");
            }
        }
        while (depth > 0 && reader.Read());
    }

    private static void Store(ref Utf8JsonReader reader, Slot slot, string origin, bool discover)
    {
        int i = slot.Count++;
        int capacity = slot.Integer ? slot.Longs.Length : slot.Doubles.Length;
        if (i >= capacity)
        {
            if (!discover) throw Mismatch(slot, origin, "more values than line 1");
            if (slot.Integer) slot.Longs = [.. slot.Longs, .. new long[capacity]];
            else slot.Doubles = [.. slot.Doubles, .. new double[capacity]];
        }
        bool isBool = reader.TokenType != JsonTokenType.Number;
        if (slot.Integer)
        {
            if (isBool) slot.Longs[i] = reader.TokenType == JsonTokenType.True ? 1 : 0;
            else if (reader.TryGetInt64(out long v)) slot.Longs[i] = v;
            else throw new ShrinkException(slot.Input is null
                ? $"{origin}: label {Encoding.UTF8.GetString(reader.ValueSpan)} is not an integer class index."
                : $"{origin}: '{slot.Name}' holds {Encoding.UTF8.GetString(reader.ValueSpan)}, but model input '{slot.Name}' takes {slot.Input.Type.OnnxName()}: " +
                  $"{ElementConversion.Refusal(NumberKind.Float, slot.Input.Type)}.");
        }
        else
        {
            slot.Doubles[i] = isBool ? (reader.TokenType == JsonTokenType.True ? 1 : 0) : reader.GetDouble();
        }
    }

    private static ShrinkException Mismatch(Slot slot, string origin, string what) =>
        new($"{origin}: '{slot.Name}' has {what}; every line needs the same shapes (pad sequences to one length).");

    /// <summary>The non-blank lines with their 1-based numbers; each line's memory is valid until the next is read.</summary>
    private IEnumerable<(long Number, ReadOnlyMemory<byte> Line)> Lines()
    {
        using var stream = DataFile.OpenRead(_path, out _);
        var buffer = new byte[1 << 16];
        int start = 0, end = 0;
        long number = 0;
        bool eof = false;
        while (true)
        {
            int newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline < 0 && !eof)
            {
                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    if (buffer.Length >= MaxLineBytes)
                        throw new ShrinkException($"{_path}:{number + 1}: a line longer than {MaxLineBytes >> 20} MB; is this JSON Lines?");
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                int got = DataFile.ReadUpTo(stream, buffer.AsSpan(end), _path);
                eof = got < buffer.Length - end;
                end += got;
                continue;
            }
            if (newline < 0 && start == end) yield break;
            int length = newline < 0 ? end - start : newline;
            var line = buffer.AsMemory(start, length);
            start += newline < 0 ? length : length + 1;
            number++;
            if (!line.Span.Trim(" \t\r"u8).IsEmpty)
                yield return (number, line);
        }
    }

    /// <summary>Nothing to release: every pass opens and closes its own file handle.</summary>
    public void Dispose() { }
}
