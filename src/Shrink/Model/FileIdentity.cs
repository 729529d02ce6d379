using System.Runtime.InteropServices;

namespace Shrink.Model;

/// <summary>
/// What a path really names on disk, so two paths can be compared for "the same file": the canonical path with every
/// symbolic link resolved (libc <c>realpath</c> on Unix), and on Linux the device and inode, which also catch hard
/// links. A path that does not exist yet is canonicalized through its nearest existing folder.
/// </summary>
public readonly record struct FileIdentity(string RealPath, ulong Device, ulong Inode)
{
    /// <summary>True when the file exists and its device and inode were read.</summary>
    public bool HasInode => Inode != 0;

    /// <summary>The identity of <paramref name="path"/>; the path need not exist.</summary>
    public static FileIdentity Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string real = RealPathOf(Path.GetFullPath(path));
        return TryStat(real, out ulong dev, out ulong ino) ? new FileIdentity(real, dev, ino) : new FileIdentity(real, 0, 0);
    }

    /// <summary>True when both name the same file: the same device and inode where known, else the same canonical path.</summary>
    public bool SameFileAs(FileIdentity other) =>
        HasInode && other.HasInode ? Device == other.Device && Inode == other.Inode
            : string.Equals(RealPath, other.RealPath, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    // The canonical path of the longest existing prefix, with the rest appended as given.
    private static string RealPathOf(string full)
    {
        string? existing = full;
        var rest = new Stack<string>();
        while (existing is not null && !File.Exists(existing) && !Directory.Exists(existing) && !IsDanglingLink(existing))
        {
            rest.Push(Path.GetFileName(existing));
            existing = Path.GetDirectoryName(existing);
        }
        string resolved = existing is null ? full : Canonical(existing);
        while (rest.Count > 0) resolved = Path.Combine(resolved, rest.Pop());
        return resolved;
    }

    private static bool IsDanglingLink(string path)
    {
        try { return new FileInfo(path).LinkTarget is not null; }
        catch (IOException) { return false; }
    }

    private static string Canonical(string existing)
    {
        if (!OperatingSystem.IsWindows())
        {
            IntPtr p = realpath(existing, IntPtr.Zero);
            if (p != IntPtr.Zero)
            {
                try { return Marshal.PtrToStringUTF8(p) ?? existing; }
                finally { free(p); }
            }
        }
        try
        {
            var target = new FileInfo(existing).ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? existing;
        }
        catch (IOException) { return existing; }
    }

    /// <summary>
    /// True when <paramref name="path"/> exists and is a regular file (symbolic links followed): not a folder, FIFO,
    /// socket or device, which would block a reader or be written through (.NET itself reports FIFOs and devices as files).
    /// </summary>
    public static bool IsRegularFile(string path) => File.Exists(path) && FileKind.NotRegular(Path.GetFullPath(path)) is null;

    // Linux only: struct stat begins with st_dev and st_ino (both 64-bit) on x86-64 and arm64.
    private static unsafe bool TryStat(string path, out ulong device, out ulong inode)
    {
        device = inode = 0;
        byte* buffer = stackalloc byte[512];
        if (!Stat(path, buffer)) return false;
        device = *(ulong*)buffer;
        inode = *(ulong*)(buffer + 8);
        return inode != 0;
    }

    private static unsafe bool Stat(string path, byte* buffer)
    {
        if (!OperatingSystem.IsLinux() || !(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64)) return false;
        try { return stat(path, buffer) == 0; }
        catch (EntryPointNotFoundException) { return false; }
        catch (DllNotFoundException) { return false; }
    }

#pragma warning disable SYSLIB1054, CA2101 // plain P/Invoke into libc; the strings are file paths (UTF-8 on Unix)
    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);
#pragma warning restore SYSLIB1054, CA2101
}
