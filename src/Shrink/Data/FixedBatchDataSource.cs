using System.Globalization;

namespace Shrink.Data;

/// <summary>
/// Serves batches of exactly the size a model with a fixed batch dimension accepts, whatever size is asked for:
/// a short last batch is filled by repeating its samples (harmless for calibration statistics; the evaluator counts
/// only the real ones).
/// </summary>
public sealed class FixedBatchDataSource(IDataSource inner, int batchSize) : IDataSource
{
    /// <summary>The fixed batch size every batch has.</summary>
    public int BatchSize => batchSize;

    /// <summary>The note to show once: how the data is fed.</summary>
    public string Note => batchSize == 1
        ? "the model's batch dimension is fixed at 1: running one sample per batch"
        : string.Create(CultureInfo.InvariantCulture, $"the model's batch dimension is fixed at {batchSize}: running batches of {batchSize} (a short last batch is padded by repeating samples)");

    /// <inheritdoc />
    public string Description => batchSize == 1 ? $"{inner.Description}, one sample per batch" : $"{inner.Description}, in batches of {batchSize}";

    /// <inheritdoc />
    public long? Count => inner.Count;

    /// <inheritdoc />
    public bool HasLabels => inner.HasLabels;

    /// <inheritdoc />
    public bool IsRandom => inner.IsRandom;

    /// <summary>Batches of exactly the fixed size; <paramref name="ignoredBatchSize"/> is not used.</summary>
    public IEnumerable<DataBatch> ReadBatches(int ignoredBatchSize, long? limit = null) =>
        inner.ReadBatches(batchSize, limit).Select(b => BatchTiler.Tile(b, batchSize));

    /// <inheritdoc />
    public void Dispose() => inner.Dispose();

    /// <summary>
    /// The fixed batch size of a model: the first shaped input's declared dim at its batch axis, when every shaped
    /// (non-scalar) input fixes its batch dim and that size is positive; null when any input's batch dim is free.
    /// </summary>
    public static int? FixedBatchOf(IReadOnlyList<ModelInputSpec> inputs)
    {
        var shaped = inputs.Where(i => !i.IsScalar && i.Dims.Count > 0).ToArray();
        if (shaped.Length == 0 || shaped.Any(i => i.FixedBatch is null)) return null;
        return shaped[0].FixedBatch is long b && b > 0 && b <= int.MaxValue ? (int)b : null;
    }

    /// <summary>
    /// Wraps <paramref name="source"/> when the model's batch dimension is fixed (not when it is already wrapped), and
    /// then says so once through <paramref name="note"/>.
    /// </summary>
    public static IDataSource ForModel(IDataSource source, IReadOnlyList<ModelInputSpec> inputs, Action<string>? note = null)
    {
        if (source is FixedBatchDataSource || FixedBatchOf(inputs) is not int fixedBatch)
            return source;
        var wrapped = new FixedBatchDataSource(source, fixedBatch);
        note?.Invoke(wrapped.Note);
        return wrapped;
    }
}
