namespace Shrink.Data;

/// <summary>
/// IDX files of the MNIST family (uint8, optionally gzipped), with an optional IDX labels file. Samples of N×H×W files
/// become [n,1,H,W] (NCHW) or [n,H,W,1] (NHWC) float32 tensors after <see cref="Preprocessing"/> — or [n,H,W] / [n,H·W]
/// when the model input has rank 3 / 2. Samples of 4-D files are used as stored, in the layout's axis order.
/// </summary>
public sealed class IdxDataSource : ArrayFileDataSource
{
    /// <summary>Opens <paramref name="imagesPath"/> and checks its header, the labels, and the fit with <paramref name="input"/>.</summary>
    /// <param name="imagesPath">IDX file: magic 0x00000801 (N), 0x00000803 (N×H×W) or 0x00000804.</param>
    /// <param name="labelsPath">IDX uint8 labels (magic 0x00000801) with exactly N entries, or null for none.</param>
    /// <param name="preprocessing">Scale, mean, std and layout.</param>
    /// <param name="input">The model input the data feeds; it must take float32.</param>
    /// <exception cref="ShrinkException">A file is malformed, truncated or does not fit the model input.</exception>
    public IdxDataSource(string imagesPath, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
        : this(imagesPath, IdxHeader.Read(imagesPath), labelsPath, preprocessing, input)
    {
    }

    private IdxDataSource(string imagesPath, ArrayFile images, string? labelsPath, Preprocessing preprocessing, ModelInputSpec input)
        : base(new ArraySource(images, labelsPath, preprocessing, input, imageByDefault: true),
            labels => $"IDX {imagesPath} ({images.Count} samples {ArrayFile.Format(images.Shape[1..])}, {labels})")
    {
    }
}
