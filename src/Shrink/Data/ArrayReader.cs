namespace Shrink.Data;

/// <summary>One sequential pass over an <see cref="ArrayFile"/>'s samples, reusing one buffer.</summary>
internal sealed class ArrayReader : IDisposable
{
    private readonly ArrayFile _file;
    private readonly Stream _stream;
    private byte[] _buffer = [];
    private long _next;

    public ArrayReader(ArrayFile file)
    {
        _file = file;
        _stream = DataFile.OpenRead(file.Path, out _);
        var header = new byte[file.DataOffset];
        if (DataFile.ReadUpTo(_stream, header, file.Path) < header.Length)
            throw file.Truncated(0);
    }

    /// <summary>The raw bytes of the next <paramref name="samples"/> samples.</summary>
    public ReadOnlySpan<byte> Read(int samples)
    {
        long bytes = (long)samples * _file.SampleBytes;
        if (bytes > Array.MaxLength)
            throw new ShrinkException($"{_file.Path}: a batch of {samples} samples takes {bytes} bytes; use a smaller batch size.");
        if (_buffer.Length < bytes)
            _buffer = new byte[bytes];
        var span = _buffer.AsSpan(0, (int)bytes);
        int got = DataFile.ReadUpTo(_stream, span, _file.Path);
        if (got < span.Length)
            throw _file.Truncated(_next + got / _file.SampleBytes);
        _next += samples;
        return span;
    }

    public void Dispose() => _stream.Dispose();
}
