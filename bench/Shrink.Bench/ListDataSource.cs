using Shrink.Data;

namespace Shrink.Bench;

/// <summary>Batches built in memory by the benchmark (e.g. KV-cache calibration states made by running the fp32 model), served as a data source.</summary>
internal sealed class ListDataSource(string description, IReadOnlyList<DataBatch> batches) : IDataSource
{
    public string Description { get; } = description;

    public long? Count { get; } = batches.Sum(b => (long)b.Count);

    public bool HasLabels => false;

    // The batches are served as built; callers ask for the batch size they were built with.
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        long served = 0;
        foreach (var batch in batches)
        {
            if (limit is long l && served >= l) yield break;
            served += batch.Count;
            yield return batch;
        }
    }

    public void Dispose() { }
}
