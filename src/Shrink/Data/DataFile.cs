using System.IO.Compression;

namespace Shrink.Data;

/// <summary>Opens data files, decompressing gzip transparently (detected by its magic bytes, not the extension).</summary>
internal static class DataFile
{
    /// <summary>Deflate cannot compress better than about 1032:1, which bounds what a gzip file can hold.</summary>
    public const long MaxGzipRatio = 1032;

    /// <summary>Opens <paramref name="path"/> for sequential reading; anything but a regular file is refused unopened.</summary>
    public static Stream OpenRead(string path, out bool gzip)
    {
        FileProbe.RequireRegularFile(path, "data file");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShrinkException($"{path}: cannot open: {e.Message}", e);
        }
        Span<byte> magic = stackalloc byte[2];
        gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        return gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>The first <paramref name="count"/> bytes (fewer if the file is shorter), after decompression.</summary>
    public static byte[] ReadPrefix(string path, int count)
    {
        using var stream = OpenRead(path, out _);
        var buffer = new byte[count];
        return buffer[..ReadUpTo(stream, buffer, path)];
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    public static int ReadUpTo(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new ShrinkException($"{path}: corrupt gzip data: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ShrinkException($"{path}: read failed: {e.Message}", e);
        }
    }
}
