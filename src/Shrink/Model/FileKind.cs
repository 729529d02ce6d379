using System.Runtime.InteropServices;

namespace Shrink.Model;

/// <summary>
/// What kind of file system entry a path names, found without opening it: opening a FIFO blocks until a writer
/// appears, and devices or sockets are no model data. Symbolic links are followed.
/// </summary>
internal static partial class FileKind
{
    /// <summary>
    /// Null when <paramref name="fullPath"/> is a regular file (or does not exist); otherwise what it is instead,
    /// as words for a message ("a folder", "a FIFO (named pipe)", ...).
    /// </summary>
    public static string? NotRegular(string fullPath)
    {
        if (Directory.Exists(fullPath)) return "a folder";
        if (OperatingSystem.IsWindows()) return null; // FIFOs, sockets and devices are not reachable as plain file paths there
        int mode;
        try
        {
            if (Stat(fullPath, out var status) != 0) return null; // missing or unreadable: the caller's open reports it
            mode = status.Mode & TypeMask;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // the runtime's native shim lacks stat: fall back to opening the file
        }
        return mode switch
        {
            RegularFile => null,
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            Folder => "a folder",
            _ => $"not a regular file (type 0x{mode:x})",
        };
    }

    // File type bits of FileStatus.Mode as the .NET runtime's native shim (System.Native) reports them on every Unix.
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000;
    private const int CharacterDevice = 0x2000;
    private const int Folder = 0x4000;
    private const int BlockDevice = 0x6000;
    private const int RegularFile = 0x8000;
    private const int Socket = 0xC000;

    // The runtime's own stat wrapper: its FileStatus layout is fixed by .NET, unlike libc's struct stat, which
    // differs between architectures. Only the leading fields are read; the padding covers the rest of the struct.
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, out FileStatus status);
}
