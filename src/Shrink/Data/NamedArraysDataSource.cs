using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// Arrays by model input name, from an .npz archive or a folder of <c>INPUT_NAME.npy</c> files: each array's first
/// axis is the sample axis and every array has the same number of samples; values are converted to the input's element
/// type (floats never feed an integer input) and fed as they are (no preprocessing). A 0-d array feeds a scalar input.
/// An array named <c>labels</c> (1-D integers, when no input has that name) gives class labels. Inputs the arrays do not
/// give are left to <see cref="DerivedInputsDataSource"/>. Every pass streams each array from its own handle.
/// </summary>
public sealed class NamedArraysDataSource : IDataSource
{
    private readonly (NamedArray Array, ModelInputSpec Input)[] _feeds;
    private readonly NamedArray? _labels;

    private NamedArraysDataSource(string path, string kind, IReadOnlyList<NamedArray> arrays, IReadOnlyList<ModelInputSpec> inputs)
    {
        var feeds = new List<(NamedArray, ModelInputSpec)>();
        foreach (var array in arrays)
        {
            if (NamedInputFit.IsLabels(array.Name, inputs))
            {
                if (array.Shape.Length != 1 || array.Dtype.IsFloat || array.Dtype.Kind == NumberKind.Bool)
                    throw new ShrinkException($"{array.Origin}: labels must be a 1-D integer array (one class index per sample), not {array.Dtype.Name} {ArrayFile.Format(array.Shape)}.");
                _labels = array;
                continue;
            }
            var input = NamedInputFit.Find(inputs, array.Name, array.Origin);
            NamedInputFit.CheckType(input, array.Dtype.Kind, array.Dtype.Name, array.Origin);
            NamedInputFit.CheckShape(input, array.SampleShape, array.IsScalar, array.Origin);
            feeds.Add((array, input));
        }
        if (feeds.Count == 0)
            throw new ShrinkException($"{path}: no array feeds a model input; the model's inputs are {NamedInputFit.Names(inputs)}.");
        _feeds = [.. feeds];
        var counted = arrays.Where(a => !a.IsScalar).ToArray();
        if (counted.Length == 0)
            throw new ShrinkException($"{path}: every array is a single value; at least one needs a first (sample) axis.");
        if (counted.Select(a => a.Count).Distinct().Count() > 1)
            throw new ShrinkException($"{path}: the arrays disagree on the number of samples (first axis): " +
                string.Join(", ", counted.Select(a => $"'{a.Name}' has {a.Count}")) + "; every array needs the same count.");
        Count = counted[0].Count;
        if (Count == 0)
            throw new ShrinkException($"{path}: empty data set (0 samples).");
        Inputs = [.. _feeds.Select(f => f.Input.Name)];
        Description = $"{kind} {path} (" + string.Join(", ", _feeds.Select(f => $"'{f.Input.Name}' {f.Array.Dtype.Name} {ArrayFile.Format(f.Array.Shape)}")) +
            (_labels is null ? "" : ", labels") + ")";
    }

    /// <summary>Opens an .npz archive (<c>numpy.savez</c> or <c>savez_compressed</c>) and checks every array against <paramref name="inputs"/>.</summary>
    /// <exception cref="ShrinkException">The archive is malformed, or an array does not fit (unknown name, wrong dtype, rank or shape, counts that differ); the message names the file, the array and the input.</exception>
    public static NamedArraysDataSource OpenNpz(string path, IReadOnlyList<ModelInputSpec> inputs) =>
        new(path, "NumPy archive", NpzArchive.Open(path), inputs);

    /// <summary>Opens a folder of <c>INPUT_NAME.npy</c> files and checks every array against <paramref name="inputs"/>.</summary>
    /// <exception cref="ShrinkException">A file is malformed, or an array does not fit; the message names the file and the input.</exception>
    public static NamedArraysDataSource OpenFolder(string folder, IReadOnlyList<ModelInputSpec> inputs)
    {
        var arrays = NpyFolder.Open(folder);
        if (arrays.Count == 0)
            throw new ShrinkException($"{folder}: holds no INPUT_NAME.npy files.");
        return new(folder, "NumPy folder", arrays, inputs);
    }

    /// <summary>The model inputs the arrays feed.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count { get; }

    /// <inheritdoc />
    public bool HasLabels => _labels is not null;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit, Count!.Value));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long total)
    {
        var readers = new List<NamedArray.Reader>();
        try
        {
            foreach (var (array, _) in _feeds) readers.Add(array.Open());
            var labels = _labels?.Open();
            if (labels is not null) readers.Add(labels);
            // A scalar input's single value is the same in every batch.
            var scalars = _feeds.Select((f, k) => f.Array.IsScalar ? Convert(f, readers[k].Read(1), 1) : null).ToArray();
            for (long start = 0; start < total; start += batchSize)
            {
                int n = (int)Math.Min(batchSize, total - start);
                var tensors = new BatchTensor[_feeds.Length];
                for (int k = 0; k < _feeds.Length; k++)
                    tensors[k] = scalars[k] ?? Convert(_feeds[k], readers[k].Read(n), n);
                yield return new DataBatch(tensors, n, labels is null ? null : Labels(labels.Read(n)));
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }

    private static BatchTensor Convert((NamedArray Array, ModelInputSpec Input) feed, ReadOnlySpan<byte> raw, int n)
    {
        var values = ElementConversion.FromRaw(raw, feed.Array.Dtype, feed.Input.Type, feed.Array.Origin, feed.Input.Name);
        return NamedInputFit.Stack(feed.Input, feed.Array.SampleShape, values, n);
    }

    private int[] Labels(ReadOnlySpan<byte> raw) =>
        NamedInputFit.Labels((long[])ElementConversion.FromRaw(raw, _labels!.Dtype, ElementType.Int64, _labels.Origin, "labels"), _labels.Origin);

    /// <summary>Nothing to release: every pass opens and closes its own handles.</summary>
    public void Dispose() { }
}
