using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Shrink.Data;

/// <summary>Reads .npy headers (format versions 1 to 3): magic, version, header length, then a Python dict literal.</summary>
internal static partial class NpyHeader
{
    private const int MaxHeaderBytes = 1 << 20;

    /// <summary>True when <paramref name="prefix"/> (the first bytes after gzip) starts with the .npy magic.</summary>
    public static bool Matches(ReadOnlySpan<byte> prefix) => prefix.StartsWith(Magic);

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the header; the dtype must be one of <paramref name="allowed"/>, else the error quotes <paramref name="expected"/>.</summary>
    public static ArrayFile Read(string path, RawType[] allowed, string expected)
    {
        NpyLayout layout;
        bool gzip;
        using (var stream = DataFile.OpenRead(path, out gzip))
            layout = ReadLayout(stream, path);
        string dtype = layout.Descr;
        RawType? type = dtype switch
        {
            "|u1" or "<u1" or "u1" => RawType.UInt8,
            "<i4" => RawType.Int32,
            "<i8" => RawType.Int64,
            "<f4" => RawType.Float32,
            _ => null,
        };
        if (type is not RawType t || !allowed.Contains(t))
            throw new ShrinkException($"{path}: dtype '{dtype}' is not supported; expected {expected}.");
        return ArrayFile.Create(path, t, layout.Shape, layout.DataOffset, gzip);
    }

    /// <summary>
    /// Reads a .npy header from the start of <paramref name="stream"/> (a file, or a member of an .npz archive) and leaves
    /// the stream at the first data byte; <paramref name="path"/> names it in errors. Fortran order is refused.
    /// </summary>
    public static NpyLayout ReadLayout(Stream stream, string path)
    {
        Span<byte> pre = stackalloc byte[12];
        int got = DataFile.ReadUpTo(stream, pre, path);
        if (got < 10 || !Matches(pre))
            throw new ShrinkException($"{path}: not a .npy file (no \\x93NUMPY magic).");
        int major = pre[6];
        if (major is < 1 or > 3)
            throw new ShrinkException($"{path}: .npy format version {major}.{pre[7]} is not supported (1 to 3 are).");
        int prefix = major == 1 ? 10 : 12;
        long length = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        if (got < prefix || length > MaxHeaderBytes)
            throw new ShrinkException($"{path}: the .npy header is truncated or corrupt.");
        var bytes = new byte[prefix + length];
        pre[..got].CopyTo(bytes);
        if (DataFile.ReadUpTo(stream, bytes.AsSpan(got), path) < bytes.Length - got)
            throw new ShrinkException($"{path}: the .npy header is truncated.");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, prefix, (int)length);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeText = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeText.Success)
            throw new ShrinkException($"{path}: malformed .npy header {header.Trim()}.");
        if (fortran.Groups[1].Value == "True")
            throw new ShrinkException($"{path}: Fortran-order (column-major) arrays are not supported; save a C-order array (np.ascontiguousarray).");
        var shape = new List<long>();
        foreach (var part in shapeText.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // Headers written by Python 2 spell dims as longs: (10L, 28L).
            if (!long.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw new ShrinkException($"{path}: malformed shape '({shapeText.Groups[1].Value})' in the .npy header.");
            shape.Add(d);
        }
        return new NpyLayout(descr.Groups[1].Value, [.. shape], bytes.Length);
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
