using System.Runtime.InteropServices;

namespace Shrink.Data;

/// <summary>Samples an application yields one by one, stacked into batches (see <see cref="DataSources.FromSamples"/>).</summary>
internal sealed class SampleDataSource : IDataSource
{
    private readonly IEnumerable<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> _samples;
    private readonly ModelInputSpec[] _inputs;

    public SampleDataSource(IEnumerable<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> samples, IReadOnlyList<ModelInputSpec> inputs, long? count, string description)
    {
        _samples = samples;
        Count = count;
        Description = description;
        var first = samples.FirstOrDefault() ?? throw new ShrinkException($"{description}: empty data set (no samples).");
        foreach (string key in first.Keys)
            NamedInputFit.Find(inputs, key, $"{description}, sample 0");
        _inputs = [.. inputs.Where(i => first.ContainsKey(i.Name))];
        Given = [.. _inputs.Select(i => i.Name)];
    }

    /// <summary>The model inputs the first sample gives (every sample must give the same).</summary>
    public IReadOnlyList<string> Given { get; }

    public string Description { get; }

    public long? Count { get; }

    public bool HasLabels => false;

    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long limit)
    {
        var pending = new List<IReadOnlyDictionary<string, (Array Values, long[] Shape)>>(batchSize);
        long index = 0;
        long[][]? shapes = null;
        foreach (var sample in _samples)
        {
            if (index >= limit) break;
            shapes ??= [.. _inputs.Select(i => Shape(sample, i, index))];
            Check(sample, shapes, index);
            pending.Add(sample);
            index++;
            if (pending.Count == batchSize)
            {
                yield return Batch(pending, shapes, index - pending.Count);
                pending.Clear();
            }
        }
        if (pending.Count > 0)
            yield return Batch(pending, shapes!, index - pending.Count);
    }

    private long[] Shape(IReadOnlyDictionary<string, (Array Values, long[] Shape)> sample, ModelInputSpec input, long index)
    {
        string origin = $"{Description}, sample {index}";
        if (!sample.TryGetValue(input.Name, out var value))
            throw new ShrinkException($"{origin}: lacks model input '{input.Name}'.");
        NamedInputFit.CheckShape(input, value.Shape, input.IsScalar && value.Shape.Length == 0, origin);
        var (kind, _) = KindOf(value.Values, origin, input.Name);
        NamedInputFit.CheckType(input, kind, value.Values.GetType().GetElementType()!.Name, origin);
        return value.Shape;
    }

    private void Check(IReadOnlyDictionary<string, (Array Values, long[] Shape)> sample, long[][] shapes, long index)
    {
        string origin = $"{Description}, sample {index}";
        if (sample.Count != _inputs.Length)
            foreach (string key in sample.Keys)
                if (!_inputs.Any(i => i.Name == key))
                    throw new ShrinkException($"{origin}: gives '{key}', which sample 0 does not; every sample needs the same inputs.");
        for (int k = 0; k < _inputs.Length; k++)
        {
            if (!sample.TryGetValue(_inputs[k].Name, out var value))
                throw new ShrinkException($"{origin}: lacks model input '{_inputs[k].Name}'.");
            if (!value.Shape.AsSpan().SequenceEqual(shapes[k]))
                throw new ShrinkException($"{origin}: '{_inputs[k].Name}' has shape {ArrayFile.Format(value.Shape)} but sample 0 has {ArrayFile.Format(shapes[k])}; every sample needs the same shapes.");
            long elements = value.Shape.Aggregate(1L, (a, d) => a * d);
            if (value.Values.LongLength != elements)
                throw new ShrinkException($"{origin}: '{_inputs[k].Name}' has {value.Values.LongLength} values for shape {ArrayFile.Format(value.Shape)} ({elements}).");
        }
    }

    private DataBatch Batch(List<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> samples, long[][] shapes, long first)
    {
        var tensors = new BatchTensor[_inputs.Length];
        for (int k = 0; k < _inputs.Length; k++)
        {
            var input = _inputs[k];
            string origin = $"{Description}, samples {first} to {first + samples.Count - 1}";
            var (kind, size) = KindOf(samples[0][input.Name].Values, origin, input.Name);
            int sampleBytes = checked((int)samples[0][input.Name].Values.LongLength * size);
            var raw = new byte[checked(sampleBytes * (input.IsScalar ? 1 : samples.Count))];
            for (int i = 0; i < (input.IsScalar ? 1 : samples.Count); i++)
            {
                var values = samples[i][input.Name].Values;
                if (KindOf(values, origin, input.Name) != (kind, size))
                    throw new ShrinkException($"{Description}, sample {first + i}: '{input.Name}' is a {values.GetType().Name} but sample 0 gives a {samples[0][input.Name].Values.GetType().Name}.");
                MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(values), sampleBytes).CopyTo(raw.AsSpan(i * sampleBytes));
            }
            var converted = ElementConversion.FromRaw(raw, new NpyDtype(kind, size), input.Type, origin, input.Name);
            tensors[k] = NamedInputFit.Stack(input, shapes[k], converted, samples.Count);
        }
        return new DataBatch(tensors, samples.Count, null);
    }

    private static (NumberKind Kind, int Size) KindOf(Array values, string origin, string name) => values switch
    {
        float[] => (NumberKind.Float, 4),
        double[] => (NumberKind.Float, 8),
        Half[] => (NumberKind.Float, 2),
        long[] => (NumberKind.Signed, 8),
        int[] => (NumberKind.Signed, 4),
        short[] => (NumberKind.Signed, 2),
        sbyte[] => (NumberKind.Signed, 1),
        ulong[] => (NumberKind.Unsigned, 8),
        uint[] => (NumberKind.Unsigned, 4),
        ushort[] => (NumberKind.Unsigned, 2),
        byte[] => (NumberKind.Unsigned, 1),
        bool[] => (NumberKind.Bool, 1),
        _ => throw new ShrinkException($"{origin}: '{name}' is a {values.GetType().Name}; give a one-dimensional array of numbers or booleans."),
    };

    public void Dispose() { }
}
