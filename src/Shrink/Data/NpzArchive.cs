using System.IO.Compression;

namespace Shrink.Data;

/// <summary>
/// An .npz file (what <c>numpy.savez</c> and <c>savez_compressed</c> write): a zip archive of <c>NAME.npy</c> members,
/// read through <see cref="ZipArchive"/> from its central directory; each member is streamed (inflated as it is read),
/// never loaded whole.
/// </summary>
internal static class NpzArchive
{
    /// <summary>True for a path ending in <c>.npz</c>.</summary>
    public static bool IsNpzPath(string path) => path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="prefix"/> starts with a zip local file header (<c>PK\x03\x04</c>).</summary>
    public static bool Matches(ReadOnlySpan<byte> prefix) => prefix.StartsWith("PK\x03\x04"u8);

    /// <summary>Reads the header of every member; each must be a <c>.npy</c> array.</summary>
    /// <exception cref="ShrinkException">The file is no zip archive, holds no arrays, or a member is not a valid .npy array; the message names the file and the member.</exception>
    public static IReadOnlyList<NamedArray> Open(string path)
    {
        FileProbe.RequireRegularFile(path, "data file");
        using var zip = OpenArchive(path);
        var arrays = new List<NamedArray>();
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/')) continue;
            string origin = $"{path}:{entry.FullName}";
            if (!entry.FullName.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ShrinkException($"{origin}: an .npz archive holds NAME.npy arrays; this member is not one.");
            string name = entry.FullName[..^".npy".Length];
            NpyLayout layout;
            try
            {
                using var stream = entry.Open();
                layout = NpyHeader.ReadLayout(stream, origin);
            }
            catch (InvalidDataException e)
            {
                throw new ShrinkException($"{origin}: corrupt archive member: {e.Message}", e);
            }
            string fullName = entry.FullName;
            arrays.Add(new NamedArray(name, origin, layout, entry.Length, () => OpenMember(path, fullName)));
        }
        if (arrays.Count == 0)
            throw new ShrinkException($"{path}: the .npz archive holds no arrays.");
        return arrays;
    }

    private static ZipArchive OpenArchive(string path)
    {
        FileStream? file = null;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            file?.Dispose();
            throw new ShrinkException($"{path}: not a valid .npz (zip) archive: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file?.Dispose();
            throw new ShrinkException($"{path}: cannot open: {e.Message}", e);
        }
    }

    /// <summary>A stream over one member that closes its archive when it is disposed.</summary>
    private static Stream OpenMember(string path, string member)
    {
        var zip = OpenArchive(path);
        var entry = zip.GetEntry(member);
        if (entry is null)
        {
            zip.Dispose();
            throw new ShrinkException($"{path}: member {member} disappeared; was the archive rewritten while it was read?");
        }
        return new MemberStream(zip, entry.Open());
    }

    private sealed class MemberStream(ZipArchive zip, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                zip.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
