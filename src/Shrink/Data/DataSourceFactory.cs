using System.Globalization;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>Opens a data set from its command-line spec, checking it against the model's inputs before any inference.</summary>
public static class DataSourceFactory
{
    private const string RandomPrefix = "random:";

    /// <summary>
    /// Opens <paramref name="spec"/>: <c>random:N</c> → <see cref="RandomDataSource"/> (said through <see cref="DataOptions.Warning"/>:
    /// figures on random inputs say nothing about accuracy); arrays by input name (an <c>.npz</c> archive, a folder holding
    /// <c>INPUT_NAME.npy</c> files, JSON Lines <c>.jsonl</c>) → <see cref="NamedArraysDataSource"/> or <see cref="JsonLinesDataSource"/>;
    /// a directory → <see cref="ImageFolderDataSource"/>;
    /// a <c>.npy</c> file → <see cref="NpyDataSource"/> (<see cref="IntegerNpyDataSource"/> for an integer input); a file starting with IDX magic (after optional gzip) → <see cref="IdxDataSource"/>,
    /// whose labels, when <see cref="DataOptions.LabelsPath"/> is null, are looked for beside it (<c>images</c> → <c>labels</c>, <c>idx3</c> → <c>idx1</c>).
    /// With <see cref="DataOptions.FileReader"/> set (text and its tokenizer), that reader opens the file.
    /// File data feeds <see cref="Preprocessing.InputName"/>, or the model's only input. Paths must be regular files or
    /// folders (a FIFO or a device is refused before it is opened). The batch axes of <see cref="DataOptions.BatchAxes"/>
    /// replace the inferred ones; a model whose batch dimension is fixed gets batches of exactly that size
    /// (<see cref="FixedBatchDataSource"/>), said once through <see cref="DataOptions.Note"/>. Model inputs the file data
    /// does not give are derived where they can be (masks, token types, positions: <see cref="DerivedInputsDataSource"/>).
    /// A model with several inputs of which only one cannot be derived takes single-input file data on that one.
    /// With <see cref="DataOptions.NextTokenWindows"/> the samples are token windows read as <see cref="NextTokenWindows"/>.
    /// </summary>
    /// <exception cref="ShrinkException">The spec, a file, or its fit with the model is wrong; the message names the path.</exception>
    public static IDataSource Open(string spec, DataOptions options, IReadOnlyList<ModelInputSpec> modelInputs)
    {
        if (options.NextTokenWindows)
        {
            // Text is cut into windows one token longer than the model's input; arrays must already hold such windows.
            var windows = options.FileReader is { } reader
                ? Open(spec, options with { NextTokenWindows = false, FileReader = reader.ForNextTokenWindows() }, modelInputs)
                : Open(spec, options with { NextTokenWindows = false }, Data.NextTokenWindows.DataInputs(modelInputs));
            return new NextTokenWindows(windows);
        }
        modelInputs = BatchAxes.Override(modelInputs, options.BatchAxes);
        return FixedBatchDataSource.ForModel(OpenSource(spec, options, modelInputs), modelInputs, options.Note);
    }

    private static IDataSource OpenSource(string spec, DataOptions options, IReadOnlyList<ModelInputSpec> modelInputs)
    {
        var preprocessing = options.Preprocessing;
        if (spec.StartsWith(RandomPrefix, StringComparison.OrdinalIgnoreCase))
        {
            if (!long.TryParse(spec.AsSpan(RandomPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count <= 0)
                throw new ShrinkException($"'{spec}': the sample count after random: must be a positive integer (at most {RandomDataSource.MaxCount}), e.g. random:100.");
            if (preprocessing.InputName is not null)
                ResolveInput(modelInputs, preprocessing.InputName, spec);
            var random = new RandomDataSource(modelInputs, options.ShapeOverrides, count, options.Seed, options.ValueRanges);
            options.Warning?.Invoke(RandomDataSource.Warning);
            if (random.SequenceNote is string note) options.Note?.Invoke("random data: " + note);
            return random;
        }
        CheckPaths(spec, options.LabelsPath);
        if (options.FileReader is not null)
            return options.FileReader.Open(spec, modelInputs, preprocessing.InputName, options.Note);
        if (spec.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            throw new ShrinkException($"{spec}: a text file needs a tokenizer (--tokenizer gpt2, a vocab.txt, ...) to become token ids.");
        if (NamedArraysOf(spec, options, modelInputs) is var (named, given))
            return DerivedInputsDataSource.Wrap(named, given, modelInputs, options.Note, spec);
        var input = ResolveInput(modelInputs, preprocessing.InputName, spec);
        return DerivedInputsDataSource.Wrap(OpenFile(spec, options, input), [input.Name], modelInputs, options.Note, spec);
    }

    /// <summary>Arrays by input name (an .npz, a folder of NAME.npy files, JSON Lines), with the inputs they give; null for other data.</summary>
    private static (IDataSource Source, IReadOnlyList<string> Given)? NamedArraysOf(string spec, DataOptions options, IReadOnlyList<ModelInputSpec> modelInputs)
    {
        bool folder = Directory.Exists(spec);
        bool npz = !folder && (NpzArchive.IsNpzPath(spec) || NpzArchive.Matches(DataFile.ReadPrefix(spec, 4)));
        bool jsonLines = !folder && JsonLinesDataSource.IsJsonLinesPath(spec);
        if (!npz && !jsonLines && !(folder && NpyFolder.Holds(spec)))
            return null;
        if (options.LabelsPath is not null)
            throw new ShrinkException($"{spec}: --labels does not apply to arrays fed by input name; give the labels in the data as 'labels'.");
        var p = options.Preprocessing;
        if (p.Scale != 1f || p.Mean.Length > 0 || p.Std.Length > 0 || p.ResizeHeight is not null)
            options.Note?.Invoke($"{spec}: arrays fed by input name are used as they are; the preprocessing (scale, mean, std, resize) is not applied");
        if (jsonLines)
        {
            var lines = new JsonLinesDataSource(spec, modelInputs);
            return (lines, lines.Inputs);
        }
        var arrays = npz ? NamedArraysDataSource.OpenNpz(spec, modelInputs) : NamedArraysDataSource.OpenFolder(spec, modelInputs);
        return (arrays, arrays.Inputs);
    }

    private static IDataSource OpenFile(string spec, DataOptions options, ModelInputSpec input)
    {
        var preprocessing = options.Preprocessing;
        if (Directory.Exists(spec))
            return new ImageFolderDataSource(spec, preprocessing, input);
        if ((spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || spec.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase))
            && input.Type is ElementType.Int64 or ElementType.Int32)
            return new IntegerNpyDataSource(spec, input);
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || spec.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase))
            return new NpyDataSource(spec, options.LabelsPath, preprocessing, input);
        if (IdxHeader.Matches(DataFile.ReadPrefix(spec, 4)))
            return new IdxDataSource(spec, options.LabelsPath ?? FindIdxLabels(spec), preprocessing, input);
        throw new ShrinkException($"{spec}: not a recognised data set; expected an image folder, a .npy file, an .npz archive, a folder of INPUT_NAME.npy files, JSON Lines (.jsonl), an IDX file (optionally gzipped) or random:N.");
    }

    /// <summary>
    /// Checks, without opening anything, that a data spec names a regular file or a folder (or is <c>random:N</c>) and
    /// that a labels path names a regular file: opening a FIFO blocks until someone writes to it, and a device never ends.
    /// </summary>
    /// <exception cref="ShrinkException">A path is missing, a FIFO, a device or (for labels) a folder; the message names it.</exception>
    public static void CheckPaths(string spec, string? labelsPath)
    {
        if (!spec.StartsWith(RandomPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string? kind = FileProbe.NotRegular(spec);
            if (kind == "missing")
                throw new ShrinkException($"{spec}: data file or folder not found.");
            if (kind is not null and not "a folder")
                throw new ShrinkException($"{spec}: is {kind}, not a regular file or a folder; the data must be a data file, an image folder or random:N.");
        }
        if (labelsPath is not null)
            FileProbe.RequireRegularFile(labelsPath, "labels file");
    }

    private static ModelInputSpec ResolveInput(IReadOnlyList<ModelInputSpec> inputs, string? name, string spec)
    {
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
        if (name is not null)
            return inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new ShrinkException($"{spec}: the preprocessing names input '{name}', but the model's inputs are {names}.");
        var needed = inputs.Where(i => DerivedInputsDataSource.KindOf(i.Name, i.Type) == DerivedInput.None).ToArray();
        return inputs.Count switch
        {
            1 => inputs[0],
            > 1 when needed.Length == 1 => needed[0],
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
            .FirstOrDefault(FileProbe.IsRegularFile);
    }
}
