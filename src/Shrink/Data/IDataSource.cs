namespace Shrink.Data;

/// <summary>A data set read batch by batch from disk (or generated), never held whole in memory.</summary>
public interface IDataSource : IDisposable
{
    /// <summary>Human-readable description, including the file or folder path.</summary>
    string Description { get; }

    /// <summary>Samples in the data set, when known up front.</summary>
    long? Count { get; }

    /// <summary>True when batches carry <see cref="DataBatch.Labels"/>.</summary>
    bool HasLabels { get; }

    /// <summary>True when the samples are random (<see cref="RandomDataSource"/>): accuracy, fidelity and calibration figures measured on them say nothing about real data.</summary>
    bool IsRandom => false;

    /// <summary>
    /// Streams the data set from the beginning in batches of <paramref name="batchSize"/> (the last may be smaller),
    /// stopping after <paramref name="limit"/> samples when given. Every call is a fresh, independent pass.
    /// </summary>
    /// <exception cref="ShrinkException">The data turns out to be malformed while it is read (e.g. a truncated gzip file).</exception>
    IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null);
}
