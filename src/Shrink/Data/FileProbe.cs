namespace Shrink.Data;

/// <summary>
/// Tells what a path names without opening it: opening a FIFO blocks until a writer appears, and a device or a folder
/// is no data file, so inputs are checked with <c>stat</c> first.
/// </summary>
internal static class FileProbe
{
    /// <summary>
    /// What <paramref name="path"/> is when it is not a regular file (following symbolic links): "missing", "a folder",
    /// "a FIFO (named pipe)", "a character device"...; null for a regular file.
    /// </summary>
    public static string? NotRegular(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) return "missing";
        return Shrink.Model.FileKind.NotRegular(Path.GetFullPath(path));
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
}
