using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

/// <summary>Fixed random rows for input "x" [batch, features], with each feature scaled by <paramref name="channelScale"/> (an outlier channel gets a large one).</summary>
internal sealed class OutlierDataSource(int samples, float[] channelScale, int seed = 3) : IDataSource
{
    private readonly float[] _rows = Scaled(TinyModels.RandomFloats(samples * channelScale.Length, seed), channelScale);

    public string Description => "outlier test data";

    public long? Count => samples;

    public bool HasLabels => false;

    /// <summary>All rows, [samples × features].</summary>
    public float[] Rows => _rows;

    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        int features = channelScale.Length;
        long end = Math.Min(samples, limit ?? samples);
        for (long start = 0; start < end; start += batchSize)
        {
            int count = (int)Math.Min(batchSize, end - start);
            var data = _rows.AsSpan((int)start * features, count * features).ToArray();
            yield return new DataBatch([new BatchTensor("x", ElementType.Float, [count, features], data)], count, null);
        }
    }

    public void Dispose()
    {
    }

    private static float[] Scaled(float[] rows, float[] scale)
    {
        for (int i = 0; i < rows.Length; i++) rows[i] *= scale[i % scale.Length];
        return rows;
    }
}
