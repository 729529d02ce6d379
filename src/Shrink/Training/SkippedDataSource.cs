using System.Globalization;
using Shrink.Data;

namespace Shrink.Training;

/// <summary>
/// The samples of a data source after its first <c>skip</c>: the tail held out when training reads only the first
/// samples (<see cref="FineTuneOptions.SamplesPerEpoch"/>), so the two never share a sample. Disposing it does not
/// dispose the inner source.
/// </summary>
public sealed class SkippedDataSource(IDataSource inner, long skip) : IDataSource
{
    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"{inner.Description}, samples after the first {skip}");

    /// <inheritdoc />
    public long? Count => inner.Count is long n ? Math.Max(0, n - skip) : null;

    /// <inheritdoc />
    public bool HasLabels => inner.HasLabels;

    /// <inheritdoc />
    public bool IsRandom => inner.IsRandom;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long seen = 0, served = 0;
        foreach (var batch in inner.ReadBatches(batchSize, limit is long l ? skip + l : null))
        {
            long start = Math.Max(0, skip - seen);
            seen += batch.Count;
            if (start >= batch.Count) continue;
            int take = (int)Math.Min(batch.Count - start, limit is long max ? max - served : long.MaxValue);
            if (take <= 0) yield break;
            served += take;
            if (start == 0 && take == batch.Count)
            {
                yield return batch;
                continue;
            }
            var rows = new (int Batch, int Row)[take];
            for (int j = 0; j < take; j++) rows[j] = (0, (int)start + j);
            yield return ShuffledBatches.Gather([batch], rows);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
