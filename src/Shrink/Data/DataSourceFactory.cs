using System.Globalization;

namespace Shrink.Data;

/// <summary>Opens a data set from its command-line spec, checking it against the model's inputs before any inference.</summary>
public static class DataSourceFactory
{
    private const string RandomPrefix = "random:";

    /// <summary>
    /// Opens <paramref name="spec"/>: <c>random:N</c> → <see cref="RandomDataSource"/>; a directory → <see cref="ImageFolderDataSource"/>;
    /// a <c>.npy</c> file → <see cref="NpyDataSource"/>; a file starting with IDX magic (after optional gzip) → <see cref="IdxDataSource"/>,
    /// whose labels, when <see cref="DataOptions.LabelsPath"/> is null, are looked for beside it (<c>images</c> → <c>labels</c>, <c>idx3</c> → <c>idx1</c>).
    /// File data feeds <see cref="Preprocessing.InputName"/>, or the model's only input.
    /// </summary>
    /// <exception cref="ShrinkException">The spec, a file, or its fit with the model is wrong; the message names the path.</exception>
    public static IDataSource Open(string spec, DataOptions options, IReadOnlyList<ModelInputSpec> modelInputs)
    {
        var preprocessing = options.Preprocessing;
        if (spec.StartsWith(RandomPrefix, StringComparison.OrdinalIgnoreCase))
        {
            if (!long.TryParse(spec.AsSpan(RandomPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count <= 0)
                throw new ShrinkException($"'{spec}': the sample count after random: must be a positive integer, e.g. random:100.");
            if (preprocessing.InputName is not null)
                ResolveInput(modelInputs, preprocessing.InputName, spec);
            return new RandomDataSource(modelInputs, options.ShapeOverrides, count, options.Seed);
        }
        if (!Directory.Exists(spec) && !File.Exists(spec))
            throw new ShrinkException($"{spec}: data file or folder not found.");
        if (options.LabelsPath is string labels && !File.Exists(labels))
            throw new ShrinkException($"{labels}: labels file not found.");
        var input = ResolveInput(modelInputs, preprocessing.InputName, spec);
        if (Directory.Exists(spec))
            return new ImageFolderDataSource(spec, preprocessing, input);
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || spec.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase))
            return new NpyDataSource(spec, options.LabelsPath, preprocessing, input);
        if (IdxHeader.Matches(DataFile.ReadPrefix(spec, 4)))
            return new IdxDataSource(spec, options.LabelsPath ?? FindIdxLabels(spec), preprocessing, input);
        throw new ShrinkException($"{spec}: not a recognised data set; expected an image folder, a .npy file, an IDX file (optionally gzipped) or random:N.");
    }

    private static ModelInputSpec ResolveInput(IReadOnlyList<ModelInputSpec> inputs, string? name, string spec)
    {
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
        if (name is not null)
            return inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new ShrinkException($"{spec}: the preprocessing names input '{name}', but the model's inputs are {names}.");
        return inputs.Count switch
        {
            1 => inputs[0],
            0 => throw new ShrinkException($"{spec}: the model has no inputs to feed."),
            _ => throw new ShrinkException($"{spec}: the model has {inputs.Count} inputs ({names}); name the one this data feeds (--input NAME, or \"input\" in the .preprocess.json sidecar)."),
        };
    }

    /// <summary>The MNIST naming convention: <c>t10k-images-idx3-ubyte.gz</c> → <c>t10k-labels-idx1-ubyte.gz</c>.</summary>
    private static string? FindIdxLabels(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath);
        if (!name.Contains("images", StringComparison.Ordinal))
            return null;
        string labels = name.Replace("images", "labels", StringComparison.Ordinal);
        string dir = Path.GetDirectoryName(imagesPath) ?? "";
        return new[] { labels, labels.Replace("idx3", "idx1", StringComparison.Ordinal) }
            .Select(n => Path.Combine(dir, n))
            .FirstOrDefault(File.Exists);
    }
}
