namespace Shrink.Data;

/// <summary>
/// A folder of <c>INPUT_NAME.npy</c> files (optionally gzipped, <c>.npy.gz</c>), one per model input, each with the
/// samples along its first axis. Told apart from an image folder by holding .npy files at its top level.
/// </summary>
internal static class NpyFolder
{
    private static readonly string[] Suffixes = [".npy", ".npy.gz"];

    /// <summary>True when <paramref name="folder"/> holds .npy (or .npy.gz) files at its top level.</summary>
    public static bool Holds(string folder) => Files(folder).Any();

    /// <summary>Reads the header of every .npy file at the top of <paramref name="folder"/>.</summary>
    /// <exception cref="ShrinkException">A file is malformed, or two files give the same name.</exception>
    public static IReadOnlyList<NamedArray> Open(string folder)
    {
        var arrays = new List<NamedArray>();
        foreach (var (file, name) in Files(folder).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (arrays.FirstOrDefault(a => a.Name == name) is { } twin)
                throw new ShrinkException($"{folder}: both {Path.GetFileName(twin.Origin)} and {Path.GetFileName(file)} give '{name}'; keep one.");
            NpyLayout layout;
            bool gzip;
            using (var stream = DataFile.OpenRead(file, out gzip))
                layout = NpyHeader.ReadLayout(stream, file);
            arrays.Add(new NamedArray(name, file, layout, gzip ? null : new FileInfo(file).Length, () => DataFile.OpenRead(file, out _)));
        }
        return arrays;
    }

    private static IEnumerable<(string Path, string Name)> Files(string folder) =>
        Directory.EnumerateFiles(folder)
            .Select(f => (Path: f, Suffix: Suffixes.FirstOrDefault(s => f.EndsWith(s, StringComparison.OrdinalIgnoreCase))))
            .Where(f => f.Suffix is not null && FileProbe.IsRegularFile(f.Path))
            .Select(f => (f.Path, Path.GetFileName(f.Path)[..^f.Suffix!.Length]));
}
