using Shrink.Data;
using Shrink.Model;

namespace Shrink.Tests.Training;

/// <summary>Float samples of one input (rows of <c>features</c>) with optional labels, served in order.</summary>
internal sealed class ArrayDataSource(string input, int features, float[] rows, int[]? labels) : IDataSource
{
    public string Description => $"{Count} test rows";

    public long? Count => rows.Length / features;

    public bool HasLabels => labels is not null;

    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        long n = Math.Min(Count!.Value, limit ?? long.MaxValue);
        for (long start = 0; start < n; start += batchSize)
        {
            int count = (int)Math.Min(batchSize, n - start);
            var data = rows.AsSpan((int)(start * features), count * features).ToArray();
            yield return new DataBatch([new BatchTensor(input, ElementType.Float, [count, features], data)], count, labels?[(int)start..(int)(start + count)]);
        }
    }

    public void Dispose() { }
}
