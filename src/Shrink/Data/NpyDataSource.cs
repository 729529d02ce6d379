namespace Shrink.Data;

/// <summary>
/// A C-order .npy file (format 1 to 3, optionally gzipped) of float32 (<c>&lt;f4</c>) or uint8 (<c>|u1</c>) values whose
/// first axis is the sample axis, read as float32 after <see cref="Preprocessing"/> (set scale 1 for data that is already
/// normalised). An [N,H,W] array gets a channel axis of 1 when the model input has rank 4; 4-D arrays must already be in
/// the layout's axis order.
/// </summary>
public sealed class NpyDataSource : ArrayFileDataSource
{
    /// <summary>Opens <paramref name="path"/> and checks its header, the labels, and the fit with <paramref name="input"/>.</summary>
    /// <param name="path">The .npy file.</param>
    /// <param name="labelsPath">A 1-D int64/int32/uint8 .npy or an IDX uint8 labels file with exactly N entries, or null.</param>
    /// <param name="preprocessing">Scale, mean, std and layout.</param>
    /// <param name="input">The model input the data feeds; it must take float32.</param>
    /// <exception cref="ShrinkException">A file is malformed, of an unsupported dtype or order, or does not fit the model input.</exception>
    public NpyDataSource(string path, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
        : this(path, NpyHeader.Read(path, [RawType.Float32, RawType.UInt8], "float32 (<f4) or uint8 (|u1)"), labelsPath, preprocessing, input)
    {
    }

    private NpyDataSource(string path, ArrayFile array, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
        : base(new ArraySource(array, labelsPath, preprocessing, input, imageByDefault: false),
            labels => $"NumPy {path} ({array.Type.ToString().ToLowerInvariant()} {array.ShapeText}, {labels})")
    {
    }
}
