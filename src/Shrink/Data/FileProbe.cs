using System.Runtime.InteropServices;

namespace Shrink.Data;

/// <summary>
/// Tells what a path names without opening it: opening a FIFO blocks until a writer appears, and a device or a folder
/// is no data file, so inputs are checked with <c>stat</c> first.
/// </summary>
internal static partial class FileProbe
{
    // The runtime's own stat wrapper (libSystem.Native ships with every .NET on Unix): its status struct starts with
    // int32 flags then int32 mode, and the S_IF* type bits below are its portable values on Linux and macOS alike.
    private const int TypeMask = 0xF000, Fifo = 0x1000, CharDevice = 0x2000, Folder = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Socket = 0xC000;

    /// <summary>
    /// What <paramref name="path"/> is when it is not a regular file (following symbolic links): "missing", "a folder",
    /// "a FIFO (named pipe)", "a character device"...; null for a regular file.
    /// </summary>
    public static string? NotRegular(string path)
    {
        if (Directory.Exists(path)) return "a folder";
        if (!File.Exists(path)) return "missing";
        if (OperatingSystem.IsWindows()) return null;
        int? mode = Mode(path);
        return mode switch
        {
            null => null,
            int m when (m & TypeMask) == Regular => null,
            int m when (m & TypeMask) == Fifo => "a FIFO (named pipe)",
            int m when (m & TypeMask) == CharDevice => "a character device",
            int m when (m & TypeMask) == BlockDevice => "a block device",
            int m when (m & TypeMask) == Socket => "a socket",
            int m when (m & TypeMask) == Folder => "a folder",
            _ => "not a regular file",
        };
    }

    /// <summary>True when <paramref name="path"/> is a regular file (or a link to one).</summary>
    public static bool IsRegularFile(string path) => NotRegular(path) is null;

    /// <summary>Refuses anything but a regular file, naming <paramref name="path"/> and what it is for.</summary>
    /// <exception cref="ShrinkException"><paramref name="path"/> is missing, a folder, a FIFO or a device.</exception>
    public static void RequireRegularFile(string path, string role)
    {
        switch (NotRegular(path))
        {
            case null:
                return;
            case "missing":
                throw new ShrinkException($"{path}: {role} not found.");
            case string kind:
                throw new ShrinkException($"{path}: is {kind}, not a regular file; the {role} must be a file.");
        }
    }

    private static unsafe int? Mode(string path)
    {
        byte* status = stackalloc byte[512];
        try
        {
            return Stat(path, status) == 0 ? *(int*)(status + 4) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* status);
}
