using Shrink.Training;

namespace Shrink.Tests.Training;

public sealed class ShuffledBatchesTests
{
    private static ArrayDataSource Numbered(int samples) =>
        new("x", 2, [.. Enumerable.Range(0, samples).SelectMany(i => new float[] { i, -i })], [.. Enumerable.Range(0, samples)]);

    private static int[] Order(ArrayDataSource source, int batch, int buffer, int seed, long? limit = null) =>
        [.. ShuffledBatches.Read(source, batch, buffer, seed, limit).SelectMany(b => b.Labels!)];

    [Fact]
    public void Every_sample_comes_once_per_pass_with_its_own_values()
    {
        using var source = Numbered(100);
        var batches = ShuffledBatches.Read(source, 16, 40, seed: 5).ToList();
        Assert.Equal([16, 16, 8, 16, 16, 8, 16, 4], batches.Select(b => b.Count)); // buffers of 40, 40, 20
        var labels = batches.SelectMany(b => b.Labels!).ToArray();
        Assert.Equal(Enumerable.Range(0, 100), labels.Order());
        foreach (var b in batches)
        {
            var x = (float[])b.Inputs[0].Data;
            for (int i = 0; i < b.Count; i++)
            {
                Assert.Equal(b.Labels![i], x[2 * i]);
                Assert.Equal(-b.Labels[i], x[2 * i + 1]);
            }
        }
        Assert.NotEqual(Enumerable.Range(0, 100), labels); // shuffled
    }

    [Fact]
    public void The_same_seed_gives_the_same_order_and_another_seed_another()
    {
        using var source = Numbered(64);
        Assert.Equal(Order(source, 8, 64, 1), Order(source, 8, 64, 1));
        Assert.NotEqual(Order(source, 8, 64, 1), Order(source, 8, 64, 2));
    }

    [Fact]
    public void Samples_never_cross_a_buffer_so_memory_stays_bounded()
    {
        using var source = Numbered(90);
        var order = Order(source, 10, 30, seed: 3);
        for (int buffer = 0; buffer < 3; buffer++)
            Assert.All(order.Skip(buffer * 30).Take(30), label => Assert.InRange(label, buffer * 30, buffer * 30 + 29));
    }

    [Fact]
    public void A_limit_stops_the_pass()
    {
        using var source = Numbered(50);
        Assert.Equal(20, Order(source, 8, 100, 0, limit: 20).Length);
    }
}
