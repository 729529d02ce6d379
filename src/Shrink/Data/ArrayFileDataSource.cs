namespace Shrink.Data;

/// <summary>
/// A data source over one array file streamed through <see cref="ArraySource"/>: what <see cref="IdxDataSource"/> and
/// <see cref="NpyDataSource"/> share once their headers are read.
/// </summary>
public abstract class ArrayFileDataSource : IDataSource
{
    private readonly ArraySource _source;

    /// <summary>Wraps <paramref name="source"/>; <paramref name="describe"/> gets its labels text and returns <see cref="Description"/>.</summary>
    private protected ArrayFileDataSource(ArraySource source, Func<string, string> describe)
    {
        _source = source;
        Description = describe(source.LabelsText);
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
