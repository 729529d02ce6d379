namespace Shrink.Data;

/// <summary>
/// One array of a named-arrays data set (a member of an .npz archive or a <c>NAME.npy</c> file in a folder): its name
/// (the model input it feeds), header facts checked against the stored size, and how to open its content afresh.
/// </summary>
internal sealed class NamedArray
{
    private readonly Func<Stream> _open;

    /// <summary>Checks the header facts; <paramref name="storedBytes"/> is the content's size when known (null for gzip).</summary>
    public NamedArray(string name, string origin, NpyLayout layout, long? storedBytes, Func<Stream> open)
    {
        Dtype = NpyDtype.Parse(layout.Descr)
            ?? throw new ShrinkException($"{origin}: dtype '{layout.Descr}' is not supported; expected a little-endian bool, integer or float array (e.g. <f4, <i8, |b1).");
        Shape = layout.Shape;
        for (int i = 0; i < Shape.Length; i++)
            if (Shape[i] < 0 || (Shape[i] == 0 && i > 0))
                throw new ShrinkException($"{origin}: dimension {i} of {ArrayFile.Format(Shape)} is {Shape[i]}; sample dims must be positive.");
        long needed;
        try
        {
            SampleBytes = checked(Shape.Skip(1).Aggregate((long)Dtype.Size, (a, d) => a * d));
            needed = checked(layout.DataOffset + (Shape.Length == 0 ? 1 : Shape[0]) * SampleBytes);
        }
        catch (OverflowException)
        {
            throw new ShrinkException($"{origin}: the header declares dims {ArrayFile.Format(Shape)}, too large to be real; the header is corrupt.");
        }
        if (SampleBytes > Array.MaxLength)
            throw new ShrinkException($"{origin}: one sample of {ArrayFile.Format(Shape.Skip(1))} takes {SampleBytes} bytes, more than can be processed.");
        if (storedBytes is long size && size < needed)
            throw new ShrinkException($"{origin}: the array ends early (header {ArrayFile.Format(Shape)} needs {needed} bytes, it has {size}); it is truncated or its header is wrong.");
        Name = name;
        Origin = origin;
        DataOffset = layout.DataOffset;
        _open = open;
    }

    /// <summary>The array's name: the model input it feeds.</summary>
    public string Name { get; }

    /// <summary>Where it is, for messages: <c>data.npz:x.npy</c> or <c>folder/x.npy</c>.</summary>
    public string Origin { get; }

    /// <summary>The element type stored.</summary>
    public NpyDtype Dtype { get; }

    /// <summary>The shape; the first axis is the sample axis (empty for a 0-d array).</summary>
    public long[] Shape { get; }

    /// <summary>True for a 0-d array (one value, shared by every sample).</summary>
    public bool IsScalar => Shape.Length == 0;

    /// <summary>Samples along the first axis (1 for a 0-d array).</summary>
    public long Count => IsScalar ? 1 : Shape[0];

    /// <summary>The shape of one sample.</summary>
    public long[] SampleShape => IsScalar ? [] : Shape[1..];

    /// <summary>Bytes per sample.</summary>
    public long SampleBytes { get; }

    /// <summary>Where the data starts in the content.</summary>
    public long DataOffset { get; }

    /// <summary>A fresh sequential pass over the samples.</summary>
    public Reader Open() => new(this, _open());

    /// <summary>One sequential pass over an array's samples, reusing one buffer.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly NamedArray _array;
        private readonly Stream _stream;
        private byte[] _buffer = [];
        private long _next;

        internal Reader(NamedArray array, Stream stream)
        {
            _array = array;
            _stream = stream;
            var header = new byte[array.DataOffset];
            if (DataFile.ReadUpTo(_stream, header, array.Origin) < header.Length)
                throw new ShrinkException($"{array.Origin}: the array ends inside its header.");
        }

        /// <summary>The raw bytes of the next <paramref name="samples"/> samples.</summary>
        public ReadOnlySpan<byte> Read(int samples)
        {
            long bytes = samples * _array.SampleBytes;
            if (bytes > Array.MaxLength)
                throw new ShrinkException($"{_array.Origin}: a batch of {samples} samples takes {bytes} bytes; use a smaller batch size.");
            if (_buffer.Length < bytes)
                _buffer = new byte[bytes];
            var span = _buffer.AsSpan(0, (int)bytes);
            int got = DataFile.ReadUpTo(_stream, span, _array.Origin);
            if (got < span.Length)
                throw new ShrinkException($"{_array.Origin}: the array ends inside sample {_next + got / Math.Max(1, _array.SampleBytes)} of {_array.Count}; it is truncated or its header is wrong.");
            _next += samples;
            return span;
        }

        /// <inheritdoc />
        public void Dispose() => _stream.Dispose();
    }
}
