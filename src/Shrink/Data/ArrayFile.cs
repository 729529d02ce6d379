namespace Shrink.Data;

/// <summary>
/// A dense array in a file (IDX or .npy, maybe gzipped) whose first axis is the sample axis: the header facts
/// needed to stream it, checked against the file's size so that a wrong header fails at open time.
/// </summary>
internal sealed class ArrayFile
{
    private ArrayFile(string path, RawType type, long[] shape, long dataOffset, int sampleBytes)
    {
        Path = path;
        Type = type;
        Shape = shape;
        DataOffset = dataOffset;
        SampleBytes = sampleBytes;
    }

    public string Path { get; }
    public RawType Type { get; }
    public long[] Shape { get; }
    public long DataOffset { get; }
    public long Count => Shape[0];
    public int SampleBytes { get; }
    public int SampleElements => SampleBytes / ElementSize;
    public int ElementSize => SizeOf(Type);
    public string ShapeText => Format(Shape);

    /// <summary>Validates the header facts against each other and against the file's size.</summary>
    public static ArrayFile Create(string path, RawType type, long[] shape, long dataOffset, bool gzip)
    {
        if (shape.Length == 0)
            throw new ShrinkException($"{path}: the array is a scalar; data sets need a first (sample) axis.");
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] < 0 || (shape[i] == 0 && i > 0))
                throw new ShrinkException($"{path}: dimension {i} of {Format(shape)} is {shape[i]}; sample dims must be positive.");
        long size = new FileInfo(path).Length;
        long sampleBytes, needed;
        try
        {
            sampleBytes = checked(shape.Skip(1).Aggregate((long)SizeOf(type), (a, d) => a * d));
            needed = checked(dataOffset + shape[0] * sampleBytes);
        }
        catch (OverflowException)
        {
            throw new ShrinkException($"{path}: the header declares dims {Format(shape)}, too large to be real; the header is corrupt.");
        }
        if (sampleBytes > Array.MaxLength)
            throw new ShrinkException($"{path}: one sample of {Format(shape[1..])} takes {sampleBytes} bytes, more than can be processed; the header is probably corrupt.");
        if (!gzip && size < needed)
            throw new ShrinkException($"{path}: the file ends inside sample {Math.Max(0, size - dataOffset) / sampleBytes} of {shape[0]} " +
                $"(header {Format(shape)} needs {needed} bytes, the file has {size}); it is truncated or its header is wrong.");
        if (gzip && needed > size * DataFile.MaxGzipRatio)
            throw new ShrinkException($"{path}: the header declares {Format(shape)} ({needed} bytes), more than a {size}-byte gzip file can hold; the header is corrupt.");
        return new ArrayFile(path, type, shape, dataOffset, (int)sampleBytes);
    }

    public static int SizeOf(RawType type) => type switch { RawType.UInt8 => 1, RawType.Int64 => 8, _ => 4 };

    public static string Format(IEnumerable<long> shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>The error for a file that ends before sample <paramref name="index"/> is complete.</summary>
    public ShrinkException Truncated(long index) =>
        new($"{Path}: the file ends inside sample {index} of {Count}; it is truncated or its header is wrong.");
}
