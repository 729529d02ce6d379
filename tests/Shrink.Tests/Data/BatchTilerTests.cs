using Shrink.Data;
using Shrink.Model;

namespace Shrink.Tests.Data;

public class BatchTilerTests
{
    [Fact]
    public void Repeats_samples_cyclically_to_the_requested_size()
    {
        var batch = new DataBatch([new BatchTensor("x", ElementType.Float, [2, 3], new float[] { 1, 2, 3, 4, 5, 6 })], 2, [7, 8]);
        var tiled = BatchTiler.Tile(batch, 5);
        Assert.Equal(5, tiled.Count);
        Assert.Equal(new long[] { 5, 3 }, tiled.Inputs[0].Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3 }, (float[])tiled.Inputs[0].Data);
        Assert.Equal(new[] { 7, 8, 7, 8, 7 }, tiled.Labels);
    }

    [Fact]
    public void Truncates_a_larger_batch()
    {
        var batch = new DataBatch([new BatchTensor("ids", ElementType.Int64, [3, 2], new long[] { 1, 2, 3, 4, 5, 6 })], 3, null);
        var tiled = BatchTiler.Tile(batch, 2);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, (long[])tiled.Inputs[0].Data);
        Assert.Null(tiled.Labels);
    }

    [Fact]
    public void Tiles_along_each_tensors_batch_axis_and_leaves_scalars_alone()
    {
        // h is [layers=2, batch=2, hidden=2]: samples are the middle axis.
        var h = new BatchTensor("h", ElementType.Float, [2, 2, 2], new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, batchAxis: 1);
        var rate = new BatchTensor("rate", ElementType.Float, [], new float[] { 16000 }, batchAxis: -1);
        var tiled = BatchTiler.Tile(new DataBatch([h, rate], 2, null), 3);

        Assert.Equal(new long[] { 2, 3, 2 }, tiled.Inputs[0].Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 1, 2, 5, 6, 7, 8, 5, 6 }, (float[])tiled.Inputs[0].Data);
        Assert.Same(rate, tiled.Inputs[1]);
    }
}
