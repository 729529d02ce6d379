namespace Shrink.Data;

/// <summary>
/// The first samples of another source, read once and kept in memory, for algorithms that pass over the same few
/// hundred calibration samples many times (sequential GPTQ runs one pass per layer). Memory: those samples only.
/// </summary>
public sealed class InMemoryDataSource : IDataSource
{
    private readonly List<DataBatch> _batches;
    private readonly int _batchSize;

    /// <summary>Reads up to <paramref name="limit"/> samples of <paramref name="inner"/> in batches of <paramref name="batchSize"/>.</summary>
    public InMemoryDataSource(IDataSource inner, int batchSize, long limit)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _batchSize = batchSize;
        _batches = inner.ReadBatches(batchSize, limit).ToList();
        Description = inner.Description;
        HasLabels = inner.HasLabels;
        IsRandom = inner.IsRandom;
        Count = _batches.Sum(b => (long)b.Count);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public long? Count { get; }

    /// <inheritdoc />
    public bool HasLabels { get; }

    /// <inheritdoc />
    public bool IsRandom { get; }

    /// <inheritdoc />
    /// <remarks>Batches come as they were read; a different <paramref name="batchSize"/> is not re-tiled.</remarks>
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        if (batchSize != _batchSize)
            throw new ArgumentException($"This in-memory source holds batches of {_batchSize}, not {batchSize}.", nameof(batchSize));
        long seen = 0;
        foreach (var b in _batches)
        {
            if (limit is long l && seen >= l) yield break;
            seen += b.Count;
            yield return b;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
