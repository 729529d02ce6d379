namespace Shrink.Data;

/// <summary>
/// Serves batches of exactly the size a model with a fixed batch dimension accepts, whatever size is asked for:
/// a short last batch is filled by repeating its samples (harmless for calibration statistics).
/// </summary>
public sealed class FixedBatchDataSource(IDataSource inner, int batchSize) : IDataSource
{
    /// <inheritdoc />
    public string Description => $"{inner.Description}, in batches of {batchSize}";

    /// <inheritdoc />
    public long? Count => inner.Count;

    /// <inheritdoc />
    public bool HasLabels => inner.HasLabels;

    /// <summary>Batches of exactly the fixed size; <paramref name="ignoredBatchSize"/> is not used.</summary>
    public IEnumerable<DataBatch> ReadBatches(int ignoredBatchSize, long? limit = null) =>
        inner.ReadBatches(batchSize, limit).Select(b => BatchTiler.Tile(b, batchSize));

    /// <inheritdoc />
    public void Dispose() => inner.Dispose();

    /// <summary>Wraps <paramref name="source"/> when the model's first input has a fixed first dimension.</summary>
    public static IDataSource ForModel(IDataSource source, IReadOnlyList<ModelInputSpec> inputs) =>
        inputs.Count > 0 && inputs[0].Dims.Count > 0 && inputs[0].Dims[0] is long fixedBatch && fixedBatch > 0
            ? new FixedBatchDataSource(source, (int)fixedBatch)
            : source;
}
