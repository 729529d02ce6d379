using System.Runtime.InteropServices;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>The streaming core of <see cref="ArrayFileDataSource"/> (<see cref="IdxDataSource"/>, <see cref="NpyDataSource"/>).</summary>
internal sealed class ArraySource
{
    private static readonly RawType[] LabelTypes = [RawType.UInt8, RawType.Int32, RawType.Int64];

    private readonly ArrayFile _data;
    private readonly ArrayFile? _labels;
    private readonly Normalizer _normalizer;
    private readonly int _inner;
    private readonly string _inputName;

    /// <summary>Opens the labels (if any), fits the sample shape to <paramref name="input"/> and validates it.</summary>
    public ArraySource(ArrayFile data, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input, bool imageByDefault)
    {
        if (data.Count == 0)
            throw new ShrinkException($"{data.Path}: empty data set (0 samples).");
        _data = data;
        _labels = labelsPath is null ? null : OpenLabels(labelsPath, data);
        (SampleShape, int channels, _inner) = ShapeFitting.Fit(data.Shape[1..], input, preprocessing.Layout, imageByDefault);
        _normalizer = new Normalizer(preprocessing, channels, data.Path);
        _inputName = input.Name;
        DataValidator.Check(input, SampleShape, ElementType.Float, data.Path);
    }

    /// <summary>The per-sample shape fed to the model (batches are [n, ..SampleShape]).</summary>
    public long[] SampleShape { get; }

    public long Count => _data.Count;

    public bool HasLabels => _labels is not null;

    public string LabelsText => _labels is null ? "no labels" : $"labels {_labels.Path}";

    private static ArrayFile OpenLabels(string path, ArrayFile data)
    {
        var prefix = DataFile.ReadPrefix(path, 6);
        ArrayFile labels;
        if (NpyHeader.Matches(prefix))
        {
            labels = NpyHeader.Read(path, LabelTypes, "int64 (<i8), int32 (<i4) or uint8 (|u1) labels");
            if (labels.Shape.Length != 1)
                throw new ShrinkException($"{path}: labels must be 1-D, not {labels.ShapeText}.");
        }
        else if (IdxHeader.Matches(prefix))
        {
            labels = IdxHeader.Read(path);
            if (labels.Shape.Length != 1)
                throw new ShrinkException($"{path}: an IDX labels file must be 1-D uint8 (magic 0x00000801), not {labels.ShapeText}.");
        }
        else
        {
            throw new ShrinkException($"{path}: not a labels file; expected IDX uint8 (magic 0x00000801) or a 1-D integer .npy.");
        }
        if (labels.Count != data.Count)
            throw new ShrinkException($"{path} has {labels.Count} labels but {data.Path} has {data.Count} samples; the counts must match (the labels belong to another data set?).");
        return labels;
    }

    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit, Count));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long total)
    {
        using var data = new ArrayReader(_data);
        using var labels = _labels is null ? null : new ArrayReader(_labels);
        long[] shape = [0, .. SampleShape];
        int sample = _data.SampleElements;
        for (long start = 0; start < total; start += batchSize)
        {
            int n = (int)Math.Min(batchSize, total - start);
            var raw = data.Read(n);
            var values = new float[(long)n * sample];
            if (_data.Type == RawType.Float32)
                _normalizer.Apply(MemoryMarshal.Cast<byte, float>(raw), values, _inner);
            else
                _normalizer.Apply(raw, values, _inner);
            shape[0] = n;
            var tensor = new BatchTensor(_inputName, ElementType.Float, [.. shape], values);
            yield return new DataBatch([tensor], n, labels is null ? null : ReadLabels(labels, n));
        }
    }

    private int[] ReadLabels(ArrayReader reader, int n)
    {
        var raw = reader.Read(n);
        var result = new int[n];
        switch (_labels!.Type)
        {
            case RawType.UInt8:
                for (int i = 0; i < n; i++)
                    result[i] = raw[i];
                break;
            case RawType.Int32:
                MemoryMarshal.Cast<byte, int>(raw).CopyTo(result);
                break;
            default:
                var wide = MemoryMarshal.Cast<byte, long>(raw);
                for (int i = 0; i < n; i++)
                    result[i] = wide[i] is >= int.MinValue and <= int.MaxValue
                        ? (int)wide[i]
                        : throw new ShrinkException($"{_labels.Path}: label {wide[i]} does not fit a 32-bit class index.");
                break;
        }
        return result;
    }
}
