using Google.Protobuf;
using Onnx;

namespace Shrink.Model;

/// <summary>
/// Loads tensor data stored outside the model file (<c>data_location = EXTERNAL</c>) into memory, refusing
/// locations that are absolute or escape the model's folder, and offsets or lengths outside the file.
/// </summary>
internal static class ExternalDataResolver
{
    public static IReadOnlyList<string> LoadAll(ModelProto model, string modelPath, string? baseDirectory)
    {
        var external = TensorProtoWalker.All(model).Where(t => t.Tensor.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        if (external.Count == 0) return [];
        if (baseDirectory is null)
            throw new ShrinkException($"{modelPath}: the model refers to external data but was read from a stream without a base folder.");
        string root = Path.GetFullPath(baseDirectory);
        var streams = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, where) in external)
                Load(tensor, where, modelPath, root, streams);
        }
        finally
        {
            foreach (var s in streams.Values) s.Dispose();
        }
        return streams.Keys.ToArray();
    }

    private static void Load(TensorProto tensor, string where, string modelPath, string root, Dictionary<string, FileStream> streams)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseLong(entry.Value, "offset", where, modelPath); break;
                case "length": length = ParseLong(entry.Value, "length", where, modelPath); break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new ShrinkException($"{modelPath}: {where}: external data has no 'location'.");
        string full = ResolveLocation(location, root, modelPath, where);
        if (!streams.TryGetValue(full, out var stream))
        {
            // Checked before opening: a FIFO would block forever, and devices, sockets and folders hold no tensor data.
            if (FileKind.NotRegular(full) is string kind)
                throw new ShrinkException($"{modelPath}: {where}: external data location '{location}' is {kind}, not a regular file.");
            if (!File.Exists(full))
                throw new ShrinkException($"{modelPath}: {where}: external data file '{location}' not found.");
            streams[full] = stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        var data = new Model.TensorData(tensor);
        long expected = data.Type == Model.ElementType.String ? -1 : data.ByteCount;
        long take = length ?? expected;
        if (take < 0 || offset < 0 || offset > stream.Length || take > stream.Length - offset)
            throw new ShrinkException($"{modelPath}: {where}: external data range offset {offset}, length {take} lies outside '{location}' ({stream.Length} bytes).");
        if (expected >= 0 && take != expected)
            throw new ShrinkException($"{modelPath}: {where}: external data length {take} does not match the {expected} bytes its dims [{string.Join(",", tensor.Dims)}] need.");
        if (take > Array.MaxLength)
            throw new ShrinkException($"{modelPath}: {where}: a single tensor of {take} bytes exceeds the 2 GB per-tensor limit of this version.");
        var bytes = GC.AllocateUninitializedArray<byte>((int)take);
        stream.Position = offset;
        stream.ReadExactly(bytes);
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>The full path of an external-data location, refusing absolute paths and ones that leave <paramref name="root"/>.</summary>
    public static string ResolveLocation(string location, string root, string modelPath, string where)
    {
        if (location.Contains('\0', StringComparison.Ordinal))
            throw new ShrinkException($"{modelPath}: {where}: external data location '{location.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character.");
        if (Path.IsPathRooted(location) || location.Contains(':', StringComparison.Ordinal))
            throw new ShrinkException($"{modelPath}: {where}: external data location '{location}' is absolute; it must be relative to the model's folder.");
        string full = Path.GetFullPath(Path.Combine(root, location));
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new ShrinkException($"{modelPath}: {where}: external data location '{location}' escapes the model's folder.");
        // A symbolic link inside the folder (the file, or a folder on its path) could still point outside it.
        string realRoot, real;
        try
        {
            realRoot = ResolveLinks(root, 0);
            real = ResolveLinks(full, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShrinkException($"{modelPath}: {where}: external data location '{location}' cannot be resolved: {e.Message}", e);
        }
        string realRootWithSep = realRoot.EndsWith(Path.DirectorySeparatorChar) ? realRoot : realRoot + Path.DirectorySeparatorChar;
        if (!real.StartsWith(realRootWithSep, StringComparison.Ordinal))
            throw new ShrinkException($"{modelPath}: {where}: external data location '{location}' is a link that escapes the model's folder.");
        return full;
    }

    // The path with every symbolic link along it replaced by its target (components that do not exist are kept).
    private static string ResolveLinks(string fullPath, int depth)
    {
        if (depth > 32)
            throw new IOException($"too many levels of symbolic links at '{fullPath}'");
        string current = Path.GetPathRoot(fullPath)!;
        var parts = fullPath[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        foreach (string part in parts)
        {
            current = Path.Combine(current, part);
            string? link = new FileInfo(current).LinkTarget;
            if (link is not null)
                current = ResolveLinks(Path.GetFullPath(link, Path.GetDirectoryName(current)!), depth + 1);
        }
        return current;
    }

    private static long ParseLong(string text, string key, string where, string modelPath) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new ShrinkException($"{modelPath}: {where}: external data '{key}' is not a non-negative integer: '{text}'.");
}
