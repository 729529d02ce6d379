namespace Shrink.Model;

/// <summary>Writes files through a temporary name in the same folder, then renames, so no partial file is ever left.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> by calling <paramref name="write"/> on a temporary file beside it and renaming it
    /// into place once the write has succeeded and been flushed to disk. On failure the temporary file is deleted.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new ShrinkException($"{path}: the output folder '{dir}' does not exist.");
        string temp = TempPathFor(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            w.Write(text);
        });

    /// <summary>A fresh temporary name in the same folder as <paramref name="fullPath"/> (same file system, so rename is atomic).</summary>
    public static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
