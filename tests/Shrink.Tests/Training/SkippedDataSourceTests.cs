using Shrink.Data;
using Shrink.Training;

namespace Shrink.Tests.Training;

public sealed class SkippedDataSourceTests
{
    private static IDataSource Random(int samples) =>
        DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 4 }, [new ModelInputSpec("input", Shrink.Model.ElementType.Float, [null, 40], ["batch", null])]);

    [Fact]
    public void The_held_out_tail_skips_the_first_samples_across_batches()
    {
        using var all = Random(20);
        var every = all.ReadBatches(20).Single().Inputs[0].Data.Cast<float>().ToArray();
        using var source = Random(20);
        var tail = new SkippedDataSource(source, 13);
        Assert.Equal(7, tail.Count);
        var read = tail.ReadBatches(4).ToList();
        Assert.Equal([3, 4], read.Select(b => b.Count));
        Assert.Equal(every.Skip(13 * 40), read.SelectMany(b => b.Inputs[0].Data.Cast<float>()));
        Assert.Equal(5, tail.ReadBatches(4, limit: 5).Sum(b => b.Count));
    }
}
