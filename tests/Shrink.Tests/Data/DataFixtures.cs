using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Shrink.Data;
using Shrink.Model;
using StbImageWriteSharp;

namespace Shrink.Tests.Data;

/// <summary>A fresh folder under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "shrink-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Writers for the file formats the data sources read.</summary>
internal static class DataFixtures
{
    public static byte[] Idx(uint magic, uint[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static string Write(string path, byte[] bytes, bool gzip = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        if (gzip)
        {
            using var zip = new GZipStream(file, CompressionLevel.Optimal);
            zip.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }
        return path;
    }

    public static byte[] Npy(string descr, long[] shape, byte[] data, bool fortran = false, int major = 1)
    {
        string dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {dims}, }}";
        int prefix = major == 1 ? 10 : 12;
        int padded = (prefix + dict.Length + 1 + 63) / 64 * 64 - prefix;
        string header = dict.PadRight(padded - 1) + "\n";
        var bytes = new List<byte>();
        bytes.AddRange([0x93, .. "NUMPY"u8]);
        bytes.Add((byte)major);
        bytes.Add(0);
        if (major == 1)
            bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        else
            bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }

    public static byte[] Bytes<T>(T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static string WritePng(string path, byte[] pixels, int width, int height, ColorComponents components)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        new ImageWriter().WritePng(pixels, width, height, components, file);
        return path;
    }

    /// <summary>Deterministic bytes that differ from sample to sample.</summary>
    public static byte[] Pattern(int count) => [.. Enumerable.Range(0, count).Select(i => (byte)(i * 37 + 11))];

    /// <summary>A model input; null dims are symbolic, named "batch" on axis 0 and "d{axis}" elsewhere.</summary>
    public static ModelInputSpec Input(string name, ElementType type, params long?[] dims) =>
        new(name, type, dims, [.. dims.Select((d, i) => d is null ? (i == 0 ? "batch" : "d" + i.ToString(CultureInfo.InvariantCulture)) : null)]);

    public static ModelInputSpec FloatInput(params long?[] dims) => Input("x", ElementType.Float, dims);

    /// <summary>The value the preprocessing formula gives, computed the same way as the library.</summary>
    public static float Normalize(float x, float scale, float mean, float std) => (x * scale - mean) / std;
}
