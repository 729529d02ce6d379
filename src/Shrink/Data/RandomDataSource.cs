using System.Globalization;
using System.Numerics;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// Synthetic values for every model input, for calibration or timing without a data set, generated batch by batch
/// (memory: one batch). Float, float16 and double come from a standard normal. Integer inputs get values a model can
/// take: an input that indexes a table (<see cref="ModelInputSpec.IndexLimit"/>) gets [0, V); one named like a mask
/// gets 0 or 1 (mostly 1); other int64 and int32 inputs [0, 16); uint8 and int8 their full range; bool a fair coin
/// (mostly true for masks). A range given per input (<c>--input-range</c>) replaces all of these. Samples are stacked
/// along each input's <see cref="ModelInputSpec.BatchAxis"/>; a scalar input gets one positive value, the same in
/// every batch. The same seed gives the same data on every pass. No labels.
/// </summary>
public sealed class RandomDataSource : IDataSource
{
    /// <summary>The most samples one random data set may have: random data carries no information past a few thousand, and a pass over more would run for days.</summary>
    public const long MaxCount = 10_000_000;

    private const int IntegerRange = 16;

    /// <summary>
    /// The length given to the one symbolic non-batch dim of an integer token input ([batch, seq] int64 or int32) when no
    /// <c>--input-shape</c> sizes it: enough to probe shapes and count MACs per token, small enough to be quick.
    /// </summary>
    public const int DefaultSequenceLength = 16;
    private static readonly ElementType[] Supported =
        [ElementType.Float, ElementType.Float16, ElementType.Double, ElementType.Int64, ElementType.Int32, ElementType.UInt8, ElementType.Int8, ElementType.Bool];

    private readonly InputPlan[] _inputs;
    private readonly long _count;
    private readonly int _seed;

    /// <summary>How one input's values are made.</summary>
    private sealed record InputPlan(ModelInputSpec Input, long[] Sample, long Elements, int BatchAxis, double Low, double High, bool Mask, Array? Scalar);

    /// <summary>Resolves every input's per-sample shape from the model's dims and <paramref name="shapeOverrides"/>.</summary>
    /// <param name="inputs">The model's inputs.</param>
    /// <param name="shapeOverrides">Full shapes by input name (the batch axis's size is ignored), needed for symbolic non-batch dims.</param>
    /// <param name="count">Samples per pass, 1 to <see cref="MaxCount"/>.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <param name="valueRanges">Inclusive value ranges by input name, replacing the defaults.</param>
    /// <exception cref="ShrinkException">The count is out of bounds, a dim is symbolic and not overridden or not positive, a sample is too large, an override or range does not fit, or a type cannot be generated; the message names the input.</exception>
    public RandomDataSource(IReadOnlyList<ModelInputSpec> inputs, IReadOnlyDictionary<string, long[]> shapeOverrides, long count, int seed = 0,
        IReadOnlyDictionary<string, ValueRange>? valueRanges = null)
    {
        if (count <= 0)
            throw new ShrinkException($"random:{count}: the sample count must be a positive integer.");
        if (count > MaxCount)
            throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"random:{count}: at most {MaxCount:N0} random samples can be generated (random data carries no information past a few thousand samples)."));
        if (inputs.Count == 0)
            throw new ShrinkException("random data: the model has no inputs.");
        valueRanges ??= new Dictionary<string, ValueRange>();
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
        foreach (string key in shapeOverrides.Keys)
            if (!inputs.Any(i => i.Name == key))
                throw new ShrinkException($"--input-shape names '{key}', but the model's inputs are {names}.");
        foreach (string key in valueRanges.Keys)
            if (!inputs.Any(i => i.Name == key))
                throw new ShrinkException($"--input-range names '{key}', but the model's inputs are {names}.");
        var scalarRng = new Random(seed);
        var defaulted = new List<string>();
        _inputs = [.. inputs.Select(i => Plan(i, shapeOverrides.GetValueOrDefault(i.Name), valueRanges.TryGetValue(i.Name, out var r) ? r : null, scalarRng, defaulted))];
        SequenceNote = defaulted.Count == 0 ? null
            : $"{string.Join(", ", defaulted)} set to {DefaultSequenceLength} tokens (pass --input-shape to choose another length)";
        _count = count;
        _seed = seed;
    }

    /// <summary>What is said once when random data is used for calibration or evaluation.</summary>
    public const string Warning = "the data is random (random:N): figures measured on random inputs (accuracy, fidelity, calibration ranges) say nothing about accuracy on real data";

    /// <summary>
    /// Says which symbolic sequence dims of integer token inputs were given <see cref="DefaultSequenceLength"/> because no
    /// override sized them; null when none was. Said once by whoever opened the source.
    /// </summary>
    public string? SequenceNote { get; }

    /// <inheritdoc />
    public bool IsRandom => true;

    /// <inheritdoc />
    public string Description => $"random data ({_count} samples, seed {_seed})";

    /// <inheritdoc />
    public long? Count => _count;

    /// <inheritdoc />
    public bool HasLabels => false;

    private static InputPlan Plan(ModelInputSpec input, long[]? shape, ValueRange? range, Random scalarRng, List<string> defaulted)
    {
        if (!Supported.Contains(input.Type))
            throw new ShrinkException($"random data: cannot generate {input.Type.OnnxName()} values for model input '{input.Name}'.");
        bool integer = input.Type is ElementType.Int64 or ElementType.Int32 or ElementType.UInt8 or ElementType.Int8 or ElementType.Bool;
        bool mask = input.Name.Contains("mask", StringComparison.OrdinalIgnoreCase);
        var (low, high) = Bounds(input, range, integer, mask);
        if (input.IsScalar && shape is null)
        {
            // A scalar (a sample rate, a temperature...) is one value shared by every sample: positive unless a range says otherwise.
            double value = range is not null ? Draw(scalarRng, low, high, integer)
                : input.IndexLimit is long v ? Math.Min(1, v - 1) : 1;
            var scalar = Fill(new Random(0), input.Type, 1, value, value, mask: false);
            return new InputPlan(input, [], 1, -1, low, high, mask, scalar);
        }
        int axis = Math.Max(0, input.BatchAxis);
        if (shape is null && SequenceAxis(input, axis) is int seq)
        {
            shape = [.. input.Dims.Select((d, k) => k == seq ? DefaultSequenceLength : d ?? 1)];
            defaulted.Add($"model input '{input.Name}' {input.ShapeText}: symbolic dim '{input.DimText(seq)}' (axis {seq})");
        }
        var sample = SampleShape(input, shape, axis);
        long bytes;
        try
        {
            bytes = checked(sample.Aggregate((long)ElementSize(input.Type), (a, d) => a * d));
        }
        catch (OverflowException)
        {
            throw new ShrinkException($"random data: one sample of model input '{input.Name}' {ArrayFile.Format(sample)} has too many elements to be real.");
        }
        if (bytes > Array.MaxLength)
            throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                $"random data: one sample of model input '{input.Name}' {ArrayFile.Format(sample)} takes {bytes:N0} bytes, more than the {Array.MaxLength:N0} one buffer can hold."));
        return new InputPlan(input, sample, bytes / ElementSize(input.Type), axis, low, high, mask, null);
    }

    private static (double Low, double High) Bounds(ModelInputSpec input, ValueRange? range, bool integer, bool mask)
    {
        if (range is ValueRange r)
        {
            var (min, max) = input.Type switch
            {
                ElementType.Int64 => (long.MinValue, (double)long.MaxValue),
                ElementType.Int32 => (int.MinValue, int.MaxValue),
                ElementType.UInt8 => (byte.MinValue, byte.MaxValue),
                ElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
                ElementType.Bool => (0, 1),
                _ => (double.MinValue, double.MaxValue),
            };
            string text = string.Create(CultureInfo.InvariantCulture, $"--input-range {input.Name}={r.Low},{r.High}");
            if (!double.IsFinite(r.Low) || !double.IsFinite(r.High) || r.Low > r.High)
                throw new ShrinkException($"{text}: needs finite bounds with low <= high.");
            if (integer && (r.Low != Math.Floor(r.Low) || r.High != Math.Floor(r.High) || r.Low < min || r.High > max))
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"{text}: model input '{input.Name}' is {input.Type.OnnxName()}; the bounds must be whole numbers in [{min}, {max}]."));
            return (r.Low, r.High);
        }
        if (input.IndexLimit is long v && integer && input.Type != ElementType.Bool)
            return v > 0 ? (0, v - 1) : throw new ShrinkException($"random data: model input '{input.Name}' indexes a table with no rows; no index is valid.");
        if (mask && integer)
            return (0, 1);
        return input.Type switch
        {
            ElementType.Int64 or ElementType.Int32 => (0, IntegerRange - 1),
            ElementType.UInt8 => (byte.MinValue, byte.MaxValue),
            ElementType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            ElementType.Bool => (0, 1),
            _ => (double.NaN, double.NaN), // a standard normal
        };
    }

    // The one symbolic non-batch axis of a [batch, seq] int64/int32 input (token ids, or their mask).
    private static int? SequenceAxis(ModelInputSpec input, int batchAxis)
    {
        if (input.Type is not (ElementType.Int64 or ElementType.Int32) || input.Dims.Count != 2 || batchAxis > 1)
            return null;
        int seq = 1 - batchAxis;
        return input.Dims[seq] is null ? seq : null;
    }

    private static long[] SampleShape(ModelInputSpec input, long[]? shape, int axis)
    {
        var dims = input.Dims;
        string example = $"--input-shape {input.Name}=" + (dims.Count > 0 ? string.Join(",", dims.Select((_, k) => k == axis ? "1" : input.DimText(k))) : "1,...");
        if (shape is not null)
        {
            if (shape.Length == 0 || (dims.Count > 0 && shape.Length != dims.Count) || axis >= shape.Length)
                throw new ShrinkException($"--input-shape {input.Name}={string.Join(",", shape)} does not match model input '{input.Name}' {input.ShapeText}; give one size per dim, batch included.");
            for (int k = 0; k < shape.Length; k++)
            {
                if (k == axis) continue;
                long? declared = k < dims.Count ? dims[k] : null;
                if (shape[k] <= 0 || (declared is long d && d != shape[k]))
                    throw new ShrinkException($"--input-shape {input.Name}={string.Join(",", shape)}: axis {k} is {shape[k]} but model input '{input.Name}' {input.ShapeText} needs {declared?.ToString(CultureInfo.InvariantCulture) ?? "a positive size"}.");
            }
            return [.. shape.Where((_, k) => k != axis)];
        }
        if (dims.Count == 0)
            throw new ShrinkException($"Model input '{input.Name}' declares no shape; pass {example} to generate random data.");
        for (int k = 0; k < dims.Count; k++)
        {
            if (dims[k] is long d && d <= 0)
                throw new ShrinkException($"Model input '{input.Name}' {input.ShapeText} declares size {d} at axis {k}; random data needs positive sizes (pass {example} for a valid one).");
            if (k != axis && dims[k] is null)
                throw new ShrinkException($"Model input '{input.Name}' {input.ShapeText} has symbolic dim '{input.DimText(k)}' (axis {k}); pass {example} with a size for it.");
        }
        return [.. dims.Where((_, k) => k != axis).Select(d => d!.Value)];
    }

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        BatchRequest.Total(batchSize, limit);
        foreach (var plan in _inputs)
            if (plan.Scalar is null && (long)batchSize * plan.Elements > Array.MaxLength)
                throw new ShrinkException($"random data: a batch of {batchSize} for model input '{plan.Input.Name}' is too large; use a smaller batch size.");
        return Generate(batchSize, Math.Min(limit ?? long.MaxValue, _count));
    }

    private IEnumerable<DataBatch> Generate(int batchSize, long total)
    {
        var rng = new Random(_seed);
        for (long start = 0; start < total; start += batchSize)
        {
            int n = (int)Math.Min(batchSize, total - start);
            var tensors = new BatchTensor[_inputs.Length];
            for (int k = 0; k < tensors.Length; k++)
            {
                var p = _inputs[k];
                if (p.Scalar is not null)
                {
                    tensors[k] = new BatchTensor(p.Input.Name, p.Input.Type, [], (Array)p.Scalar.Clone(), -1);
                    continue;
                }
                long[] shape = [.. p.Sample[..p.BatchAxis], n, .. p.Sample[p.BatchAxis..]];
                tensors[k] = new BatchTensor(p.Input.Name, p.Input.Type, shape, Fill(rng, p.Input.Type, checked((int)(n * p.Elements)), p.Low, p.High, p.Mask), p.BatchAxis);
            }
            yield return new DataBatch(tensors, n, null);
        }
    }

    private static int ElementSize(ElementType type) => type switch
    {
        ElementType.Int64 or ElementType.Double => 8,
        ElementType.Float or ElementType.Int32 => 4,
        ElementType.Float16 => 2,
        _ => 1,
    };

    private static double Draw(Random rng, double low, double high, bool integer) =>
        integer ? (high - low >= long.MaxValue ? low : low + rng.NextInt64((long)(high - low) + 1)) : low + (high - low) * rng.NextDouble();

    /// <summary>Values in [low, high] (whole numbers for integer types; a standard normal for floats when low is NaN); masks mostly 1.</summary>
    private static Array Fill(Random rng, ElementType type, int length, double low, double high, bool mask) => type switch
    {
        ElementType.Float => Real(rng, new float[length], low, high),
        ElementType.Float16 => Real(rng, new Half[length], low, high),
        ElementType.Double => Real(rng, new double[length], low, high),
        ElementType.Int64 => Whole(rng, new long[length], low, high, mask),
        ElementType.Int32 => Whole(rng, new int[length], low, high, mask),
        ElementType.UInt8 => Whole(rng, new byte[length], low, high, mask),
        ElementType.Int8 => Whole(rng, new sbyte[length], low, high, mask),
        _ => Flags(rng, new bool[length], low, high, mask),
    };

    private static T[] Real<T>(Random rng, T[] values, double low, double high) where T : INumberBase<T>
    {
        if (!double.IsNaN(low))
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = T.CreateTruncating(low + (high - low) * rng.NextDouble());
            return values;
        }
        // Box–Muller: each pair of uniforms gives two independent standard normals.
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble()));
            double angle = 2 * Math.PI * rng.NextDouble();
            values[i] = T.CreateTruncating(radius * Math.Cos(angle));
            if (i + 1 < values.Length)
                values[i + 1] = T.CreateTruncating(radius * Math.Sin(angle));
        }
        return values;
    }

    private static T[] Whole<T>(Random rng, T[] values, double low, double high, bool mask) where T : INumberBase<T>
    {
        // Whole-range int64 bounds span more than a long holds: draw any long then.
        bool any = high - low >= long.MaxValue;
        long lo = (long)low, span = any ? 0 : (long)(high - low);
        if (mask && lo == 0 && span == 1)
        {
            // Attention masks are mostly ones: a few padded positions, not half of them.
            for (int i = 0; i < values.Length; i++)
                values[i] = rng.Next(8) == 0 ? T.Zero : T.One;
            return values;
        }
        for (int i = 0; i < values.Length; i++)
            values[i] = T.CreateTruncating(any ? rng.NextInt64(long.MinValue, long.MaxValue) : lo + rng.NextInt64(span + 1));
        return values;
    }

    private static bool[] Flags(Random rng, bool[] values, double low, double high, bool mask)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = low == high ? low != 0 : mask ? rng.Next(8) != 0 : rng.Next(2) == 1;
        return values;
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
