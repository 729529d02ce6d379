using Shrink.Model;
using StbImageSharp;

namespace Shrink.Data;

/// <summary>
/// PNG and JPEG images in one subfolder per class (label = the subfolder's index in ordinal order), or directly in the
/// root folder for unlabelled data. Images are converted per <see cref="Preprocessing.Color"/>, resized bilinearly to
/// the preprocessing's resize target or else the model's fixed height and width, and fed as float32 [n,C,H,W] or
/// [n,H,W,C] after scale, mean and std.
/// </summary>
public sealed class ImageFolderDataSource : IDataSource
{
    private readonly string[] _files;
    private readonly int[]? _labels;
    private readonly Normalizer _normalizer;
    private readonly TensorLayout _layout;
    private readonly string _inputName;
    private readonly int _height, _width, _channels;
    private readonly bool _fixedHeight, _fixedWidth;
    private readonly long[] _sampleShape;

    /// <summary>Lists the images and checks the first one's geometry against <paramref name="input"/>.</summary>
    /// <param name="root">The folder: class subfolders of images, or images directly.</param>
    /// <param name="preprocessing">Colour, resize, scale, mean, std and layout.</param>
    /// <param name="input">The model input the images feed; it must take float32 of rank 4 (or undeclared).</param>
    /// <exception cref="ShrinkException">The folder has no images, the first image cannot be read, or the data does not fit the model input.</exception>
    public ImageFolderDataSource(string root, Preprocessing preprocessing, ModelInputSpec input)
    {
        if (!Directory.Exists(root))
            throw new ShrinkException($"{root}: folder not found.");
        var classDirs = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
            foreach (string file in ImagesIn(classDirs[c], SearchOption.AllDirectories))
            {
                files.Add(file);
                labels.Add(c);
            }
        if (files.Count > 0)
        {
            _labels = [.. labels];
            ClassNames = [.. classDirs.Select(d => Path.GetFileName(d))];
        }
        else
        {
            files.AddRange(ImagesIn(root, SearchOption.TopDirectoryOnly));
            ClassNames = [];
        }
        if (files.Count == 0)
            throw new ShrinkException($"{root}: empty data set (no .png, .jpg or .jpeg images in the folder or its class subfolders).");
        _files = [.. files];

        long? modelChannels = null, modelHeight = null, modelWidth = null;
        if (input.Dims.Count == 4)
            (modelChannels, modelHeight, modelWidth) = preprocessing.Layout == TensorLayout.NCHW
                ? (input.Dims[1], input.Dims[2], input.Dims[3])
                : (input.Dims[3], input.Dims[1], input.Dims[2]);
        var first = PeekInfo(_files[0]);
        _channels = preprocessing.Color switch
        {
            ColorMode.Grayscale => 1,
            ColorMode.Rgb => 3,
            _ when modelChannels is long c => c is 1 or 3 ? (int)c
                : throw new ShrinkException($"{root}: model input '{input.Name}' {input.ShapeText} wants {c} channels; images give 1 (grayscale) or 3 (RGB)."),
            _ => ImageLoader.NaturalChannels(first.ColorComponents),
        };
        _height = preprocessing.ResizeHeight ?? (int?)modelHeight ?? first.Height;
        _width = preprocessing.ResizeWidth ?? (int?)modelWidth ?? first.Width;
        _fixedHeight = preprocessing.ResizeHeight is not null || modelHeight is not null;
        _fixedWidth = preprocessing.ResizeWidth is not null || modelWidth is not null;
        if ((long)_height * _width * _channels > Array.MaxLength || _height <= 0 || _width <= 0)
            throw new ShrinkException($"{root}: cannot resize images to {_height}x{_width}x{_channels}.");
        _layout = preprocessing.Layout;
        _inputName = input.Name;
        _sampleShape = _layout == TensorLayout.NCHW ? [_channels, _height, _width] : [_height, _width, _channels];
        _normalizer = new Normalizer(preprocessing, _channels, root);
        DataValidator.Check(input, _sampleShape, ElementType.Float, root);
        Description = $"image folder {root} ({_files.Length} images, " +
            (_labels is null ? "no labels" : $"{ClassNames.Count} classes") + $", {_height}x{_width}x{_channels})";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count => _files.Length;

    /// <inheritdoc />
    public bool HasLabels => _labels is not null;

    /// <summary>The class subfolder names in label order; empty for unlabelled folders.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The per-sample shape fed to the model; batches are [n, ..SampleShape].</summary>
    public IReadOnlyList<long> SampleShape => _sampleShape;

    private static ImageInfo PeekInfo(string file)
    {
        FileProbe.RequireRegularFile(file, "image");
        try
        {
            using var stream = File.OpenRead(file);
            if (ImageInfo.FromStream(stream) is ImageInfo info)
                return info;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShrinkException($"{file}: cannot read the image: {e.Message}", e);
        }
        throw new ShrinkException($"{file}: not a PNG or JPEG image that can be decoded.");
    }

    private static IEnumerable<string> ImagesIn(string dir, SearchOption option) =>
        Directory.EnumerateFiles(dir, "*", option)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
            .Order(StringComparer.Ordinal);

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        return Read(batchSize, (int)BatchRequest.Total(batchSize, limit, _files.Length));
    }

    private IEnumerable<DataBatch> Read(int batchSize, int total)
    {
        var loader = new ImageLoader(_height, _width, _channels, _fixedHeight, _fixedWidth);
        int sample = _height * _width * _channels;
        if ((long)batchSize * sample > Array.MaxLength)
            throw new ShrinkException($"{Description}: a batch of {batchSize} images is too large; use a smaller batch size.");
        for (int start = 0; start < total; start += batchSize)
        {
            int n = Math.Min(batchSize, total - start);
            var values = new float[(long)n * sample];
            for (int i = 0; i < n; i++)
            {
                var image = loader.Load(_files[start + i]);
                var target = values.AsSpan(i * sample, sample);
                if (_layout == TensorLayout.NCHW)
                    _normalizer.ApplyToPlanar(image, target);
                else
                    _normalizer.Apply(image, target, inner: 1);
            }
            var tensor = new BatchTensor(_inputName, ElementType.Float, [n, .. _sampleShape], values);
            yield return new DataBatch([tensor], n, _labels?[start..(start + n)]);
        }
    }

    /// <summary>Nothing to release: images are read one at a time.</summary>
    public void Dispose() { }
}
