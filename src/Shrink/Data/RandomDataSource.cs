using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Shrink.Graph;

namespace Shrink.Data;

/// <summary>
/// Synthetic values for every model input, for calibration or timing without a data set: float, float16 and double
/// from a standard normal; int64 and int32 uniform in [0, 16) (small enough to be valid indices or token ids for most
/// models); bool, uint8 and int8 uniform over their range. The first dim of each input is the batch axis; the same seed
/// gives the same data on every pass. No labels.
/// </summary>
public sealed class RandomDataSource : IDataSource
{
    private const int IntegerRange = 16;
    private static readonly ElementType[] Supported =
        [ElementType.Float, ElementType.Float16, ElementType.Double, ElementType.Int64, ElementType.Int32, ElementType.UInt8, ElementType.Int8, ElementType.Bool];

    private readonly (ModelInputSpec Input, long[] Sample, long Elements)[] _inputs;
    private readonly long _count;
    private readonly int _seed;

    /// <summary>Resolves every input's per-sample shape from the model's dims and <paramref name="shapeOverrides"/>.</summary>
    /// <param name="inputs">The model's inputs.</param>
    /// <param name="shapeOverrides">Full shapes by input name (batch dim first, ignored), needed for symbolic non-batch dims.</param>
    /// <param name="count">Samples per pass.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <exception cref="ShrinkException">A non-batch dim is symbolic and not overridden, an override does not fit, or a type cannot be generated.</exception>
    public RandomDataSource(IReadOnlyList<ModelInputSpec> inputs, IReadOnlyDictionary<string, long[]> shapeOverrides, long count, int seed = 0)
    {
        if (count <= 0)
            throw new ShrinkException($"random:{count}: the sample count must be a positive integer.");
        if (inputs.Count == 0)
            throw new ShrinkException("random data: the model has no inputs.");
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
        foreach (string key in shapeOverrides.Keys)
            if (!inputs.Any(i => i.Name == key))
                throw new ShrinkException($"--input-shape names '{key}', but the model's inputs are {names}.");
        _inputs = [.. inputs.Select(i =>
        {
            if (!Supported.Contains(i.Type))
                throw new ShrinkException($"random data: cannot generate {i.Type.OnnxName()} values for model input '{i.Name}'.");
            var sample = SampleShape(i, shapeOverrides.GetValueOrDefault(i.Name));
            try
            {
                return (i, sample, checked(sample.Aggregate(1L, (a, d) => a * d)));
            }
            catch (OverflowException)
            {
                throw new ShrinkException($"random data: the shape of model input '{i.Name}' is too large.");
            }
        })];
        _count = count;
        _seed = seed;
    }

    /// <inheritdoc />
    public string Description => $"random data ({_count} samples, seed {_seed})";

    /// <inheritdoc />
    public long? Count => _count;

    /// <inheritdoc />
    public bool HasLabels => false;

    private static long[] SampleShape(ModelInputSpec input, long[]? shape)
    {
        var dims = input.Dims;
        string example = $"--input-shape {input.Name}=" + (dims.Count > 0 ? string.Join(",", dims.Select((_, k) => k == 0 ? "1" : input.DimText(k))) : "1,...");
        if (shape is not null)
        {
            if (shape.Length == 0 || (dims.Count > 0 && shape.Length != dims.Count))
                throw new ShrinkException($"--input-shape {input.Name}={string.Join(",", shape)} does not match model input '{input.Name}' {input.ShapeText}; give one size per dim, batch first.");
            for (int k = 1; k < shape.Length; k++)
            {
                long? declared = k < dims.Count ? dims[k] : null;
                if (shape[k] <= 0 || (declared is long d && d != shape[k]))
                    throw new ShrinkException($"--input-shape {input.Name}={string.Join(",", shape)}: axis {k} is {shape[k]} but model input '{input.Name}' {input.ShapeText} needs {declared?.ToString(CultureInfo.InvariantCulture) ?? "a positive size"}.");
            }
            return shape[1..];
        }
        if (dims.Count == 0)
            throw new ShrinkException($"Model input '{input.Name}' declares no shape; pass {example} to generate random data.");
        for (int k = 1; k < dims.Count; k++)
            if (dims[k] is null)
                throw new ShrinkException($"Model input '{input.Name}' {input.ShapeText} has symbolic dim '{input.DimText(k)}' (axis {k}); pass {example} with a size for it.");
        return [.. dims.Skip(1).Select(d => d!.Value)];
    }

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (limit < 0)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit must not be negative.");
        foreach (var (input, _, elements) in _inputs)
            if (batchSize * elements > Array.MaxLength)
                throw new ShrinkException($"random data: a batch of {batchSize} for model input '{input.Name}' is too large; use a smaller batch size.");
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
                var (input, sample, elements) = _inputs[k];
                tensors[k] = new BatchTensor(input.Name, input.Type, [n, .. sample], Fill(rng, input.Type, (int)(n * elements)));
            }
            yield return new DataBatch(tensors, n, null);
        }
    }

    private static Array Fill(Random rng, ElementType type, int length)
    {
        switch (type)
        {
            case ElementType.Float: return Normal(rng, new float[length]);
            case ElementType.Float16: return Normal(rng, new Half[length]);
            case ElementType.Double: return Normal(rng, new double[length]);
            case ElementType.Int64: return Small(rng, new long[length]);
            case ElementType.Int32: return Small(rng, new int[length]);
            case ElementType.UInt8:
                var bytes = new byte[length];
                rng.NextBytes(bytes);
                return bytes;
            case ElementType.Int8:
                var signed = new sbyte[length];
                rng.NextBytes(MemoryMarshal.AsBytes(signed.AsSpan()));
                return signed;
            default:
                var flags = new bool[length];
                for (int i = 0; i < length; i++)
                    flags[i] = rng.Next(2) == 1;
                return flags;
        }
    }

    /// <summary>Box–Muller: each pair of uniforms gives two independent standard normals.</summary>
    private static T[] Normal<T>(Random rng, T[] values) where T : INumberBase<T>
    {
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

    private static T[] Small<T>(Random rng, T[] values) where T : INumberBase<T>
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = T.CreateTruncating(rng.Next(IntegerRange));
        return values;
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
