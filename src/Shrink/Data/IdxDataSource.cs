namespace Shrink.Data;

/// <summary>
/// IDX files of the MNIST family (uint8, optionally gzipped), with an optional IDX labels file. Samples of N×H×W files
/// become [n,1,H,W] (NCHW) or [n,H,W,1] (NHWC) float32 tensors after <see cref="Preprocessing"/> — or [n,H,W] / [n,H·W]
/// when the model input has rank 3 / 2. Samples of 4-D files are used as stored, in the layout's axis order.
/// </summary>
public sealed class IdxDataSource : IDataSource
{
    private readonly ArraySource _source;

    /// <summary>Opens <paramref name="imagesPath"/> and checks its header, the labels, and the fit with <paramref name="input"/>.</summary>
    /// <param name="imagesPath">IDX file: magic 0x00000801 (N), 0x00000803 (N×H×W) or 0x00000804.</param>
    /// <param name="labelsPath">IDX uint8 labels (magic 0x00000801) with exactly N entries, or null for none.</param>
    /// <param name="preprocessing">Scale, mean, std and layout.</param>
    /// <param name="input">The model input the data feeds; it must take float32.</param>
    /// <exception cref="ShrinkException">A file is malformed, truncated or does not fit the model input.</exception>
    public IdxDataSource(string imagesPath, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
    {
        var images = IdxHeader.Read(imagesPath);
        _source = new ArraySource(images, labelsPath, preprocessing, input, imageByDefault: true);
        Description = $"IDX {imagesPath} ({images.Count} samples {ArrayFile.Format(images.Shape[1..])}, {_source.LabelsText})";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count => _source.Count;

    /// <inheritdoc />
    public bool HasLabels => _source.HasLabels;

    /// <summary>The per-sample shape fed to the model; batches are [n, ..SampleShape].</summary>
    public IReadOnlyList<long> SampleShape => _source.SampleShape;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null) => _source.ReadBatches(batchSize, limit);

    /// <summary>Nothing to release: every pass opens and closes its own file handles.</summary>
    public void Dispose() { }
}
