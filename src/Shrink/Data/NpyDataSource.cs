namespace Shrink.Data;

/// <summary>
/// A C-order .npy file (format 1 to 3, optionally gzipped) of float32 (<c>&lt;f4</c>) or uint8 (<c>|u1</c>) values whose
/// first axis is the sample axis, read as float32 after <see cref="Preprocessing"/> (set scale 1 for data that is already
/// normalised). An [N,H,W] array gets a channel axis of 1 when the model input has rank 4; 4-D arrays must already be in
/// the layout's axis order.
/// </summary>
public sealed class NpyDataSource : IDataSource
{
    private readonly ArraySource _source;

    /// <summary>Opens <paramref name="path"/> and checks its header, the labels, and the fit with <paramref name="input"/>.</summary>
    /// <param name="path">The .npy file.</param>
    /// <param name="labelsPath">A 1-D int64/int32/uint8 .npy or an IDX uint8 labels file with exactly N entries, or null.</param>
    /// <param name="preprocessing">Scale, mean, std and layout.</param>
    /// <param name="input">The model input the data feeds; it must take float32.</param>
    /// <exception cref="ShrinkException">A file is malformed, of an unsupported dtype or order, or does not fit the model input.</exception>
    public NpyDataSource(string path, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
    {
        var array = NpyHeader.Read(path, [RawType.Float32, RawType.UInt8], "float32 (<f4) or uint8 (|u1)");
        _source = new ArraySource(array, labelsPath, preprocessing, input, imageByDefault: false);
        Description = $"NumPy {path} ({array.Type.ToString().ToLowerInvariant()} {array.ShapeText}, {_source.LabelsText})";
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
