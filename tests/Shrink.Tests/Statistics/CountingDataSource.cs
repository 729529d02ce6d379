using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Statistics;

/// <summary>A data source of fixed random rows for input "input" [batch, features] that counts its passes and the batches it hands out.</summary>
internal sealed class CountingDataSource(int samples, int features, int seed = 7) : IDataSource
{
    private readonly float[] _rows = TinyModels.RandomFloats(samples * features, seed);

    public string Description => "counting test data";

    public long? Count => samples;

    public bool HasLabels => false;

    /// <summary>How many times the data was read from the beginning.</summary>
    public int Passes { get; private set; }

    /// <summary>Batches handed out, over all passes.</summary>
    public int BatchesRead { get; private set; }

    /// <summary>The sample rows, row by sample.</summary>
    public ReadOnlySpan<float> Rows => _rows;

    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        Passes++;
        long end = Math.Min(samples, limit ?? samples);
        for (long start = 0; start < end; start += batchSize)
        {
            int count = (int)Math.Min(batchSize, end - start);
            var data = _rows.AsSpan((int)start * features, count * features).ToArray();
            BatchesRead++;
            yield return new DataBatch([new BatchTensor("input", ElementType.Float, [count, features], data)], count, null);
        }
    }

    public void Dispose()
    {
    }
}
