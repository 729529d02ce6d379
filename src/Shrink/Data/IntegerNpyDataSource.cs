using System.Runtime.InteropServices;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// A C-order .npy file of integers (int64, int32 or uint8; optionally gzipped) fed as-is to an integer model input
/// (token ids, timesteps, masks): no preprocessing, the first axis is the sample axis and the remaining dims must fit
/// the input's declared dims (symbolic dims take anything). Values are converted to the input's element type.
/// </summary>
public sealed class IntegerNpyDataSource : IDataSource
{
    private static readonly RawType[] Allowed = [RawType.Int64, RawType.Int32, RawType.UInt8];

    private readonly ArrayFile _file;
    private readonly ModelInputSpec _input;
    private readonly long[] _sampleShape;

    /// <summary>Opens <paramref name="path"/> and checks its header and its fit with <paramref name="input"/>.</summary>
    /// <exception cref="ShrinkException">The file is malformed, of a non-integer dtype, or does not fit the input.</exception>
    public IntegerNpyDataSource(string path, ModelInputSpec input)
    {
        if (input.Type is not (ElementType.Int64 or ElementType.Int32))
            throw new ShrinkException($"{path}: model input '{input.Name}' takes {input.Type.OnnxName()}, not integers.");
        _file = NpyHeader.Read(path, Allowed, "int64 (<i8), int32 (<i4) or uint8 (|u1) for the integer input '" + input.Name + "'");
        if (_file.Count == 0)
            throw new ShrinkException($"{path}: empty data set (0 samples).");
        _input = input;
        _sampleShape = _file.Shape[1..];
        DataValidator.Check(input, _sampleShape, input.Type, path);
        Description = $"NumPy {path} ({_file.Type.ToString().ToLowerInvariant()} {_file.ShapeText} → '{input.Name}')";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count => _file.Count;

    /// <inheritdoc />
    public bool HasLabels => false;

    /// <summary>The per-sample shape; batches are [n, ..SampleShape].</summary>
    public IReadOnlyList<long> SampleShape => _sampleShape;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, BatchRequest.Total(batchSize, limit, _file.Count));
    }

    private IEnumerable<DataBatch> Read(int batchSize, long total)
    {
        using var reader = new ArrayReader(_file);
        int sample = _file.SampleElements;
        for (long start = 0; start < total; start += batchSize)
        {
            int n = (int)Math.Min(batchSize, total - start);
            var raw = reader.Read(n);
            long[] shape = [n, .. _sampleShape];
            Array values = _input.Type == ElementType.Int64 ? ToInt64(raw, n * sample) : ToInt32(raw, n * sample);
            yield return new DataBatch([new BatchTensor(_input.Name, _input.Type, shape, values)], n, null);
        }
    }

    private long[] ToInt64(ReadOnlySpan<byte> raw, int count)
    {
        var result = new long[count];
        switch (_file.Type)
        {
            case RawType.Int64: MemoryMarshal.Cast<byte, long>(raw).CopyTo(result); break;
            case RawType.Int32: { var s = MemoryMarshal.Cast<byte, int>(raw); for (int i = 0; i < count; i++) result[i] = s[i]; break; }
            default: for (int i = 0; i < count; i++) result[i] = raw[i]; break;
        }
        return result;
    }

    private int[] ToInt32(ReadOnlySpan<byte> raw, int count)
    {
        var result = new int[count];
        switch (_file.Type)
        {
            case RawType.Int32: MemoryMarshal.Cast<byte, int>(raw).CopyTo(result); break;
            case RawType.Int64:
                {
                    var s = MemoryMarshal.Cast<byte, long>(raw);
                    for (int i = 0; i < count; i++)
                        result[i] = s[i] is >= int.MinValue and <= int.MaxValue
                            ? (int)s[i]
                            : throw new ShrinkException($"{_file.Path}: value {s[i]} does not fit the int32 input '{_input.Name}'.");
                    break;
                }
            default: for (int i = 0; i < count; i++) result[i] = raw[i]; break;
        }
        return result;
    }

    /// <summary>Nothing to release: every pass opens and closes its own file handle.</summary>
    public void Dispose() { }
}
