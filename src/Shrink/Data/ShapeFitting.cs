namespace Shrink.Data;

/// <summary>Fits a stored per-sample shape to what the model declares, without moving any data.</summary>
internal static class ShapeFitting
{
    /// <summary>
    /// A 2-D [H,W] sample gets a channel axis of 1 (per <paramref name="layout"/>) when the model is rank 4, or when the
    /// model's rank is unknown and <paramref name="imageByDefault"/>; a model of rank 2 gets the sample flattened.
    /// Channels (for mean/std) are the layout's channel axis of a 3-D sample, else 1; <c>inner</c> is the number of
    /// consecutive values per channel.
    /// </summary>
    public static (long[] Shape, int Channels, int Inner) Fit(long[] stored, ModelInputSpec input, TensorLayout layout, bool imageByDefault)
    {
        int modelRank = input.Dims.Count;
        long[] shape = stored;
        if (stored.Length == 2 && (modelRank == 4 || (modelRank == 0 && imageByDefault)))
            shape = layout == TensorLayout.NCHW ? [1, stored[0], stored[1]] : [stored[0], stored[1], 1];
        else if (modelRank == 2 && stored.Length > 1)
            shape = [stored.Aggregate(1L, (a, d) => a * d)];
        if (shape.Length != 3)
            return (shape, 1, 1);
        if (layout == TensorLayout.NHWC)
            return (shape, (int)shape[2], 1);
        return (shape, (int)shape[0], (int)(shape[1] * shape[2]));
    }
}
