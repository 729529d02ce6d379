using Shrink.Data;
using Shrink.Graph;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class RandomDataSourceTests
{
    private static readonly Dictionary<string, long[]> NoOverrides = [];

    private static float[] Floats(IDataSource source, int batchSize) =>
        [.. source.ReadBatches(batchSize).SelectMany(b => (float[])b.Inputs[0].Data)];

    [Fact]
    public void Same_seed_gives_the_same_data_on_every_pass()
    {
        var inputs = new[] { FloatInput(null, 3, 4) };
        using var source = new RandomDataSource(inputs, NoOverrides, 10, seed: 7);
        using var twin = new RandomDataSource(inputs, NoOverrides, 10, seed: 7);
        using var other = new RandomDataSource(inputs, NoOverrides, 10, seed: 8);

        var first = Floats(source, 4);
        Assert.Equal(10 * 12, first.Length);
        Assert.Equal(first, Floats(source, 4));
        Assert.Equal(first, Floats(twin, 4));
        Assert.NotEqual(first, Floats(other, 4));
    }

    [Fact]
    public void Batches_take_the_override_for_symbolic_dims()
    {
        var inputs = new[] { FloatInput(null, 3, null, null) };
        var overrides = new Dictionary<string, long[]> { ["x"] = [1, 3, 8, 16] };
        using var source = new RandomDataSource(inputs, overrides, 10);

        var batches = source.ReadBatches(4).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        Assert.Equal([4L, 3, 8, 16], batches[0].Inputs[0].Shape);
        Assert.Equal([2L, 3, 8, 16], batches[2].Inputs[0].Shape);
        Assert.All(batches, b => Assert.Null(b.Labels));
        Assert.False(source.HasLabels);
        Assert.Equal(10, source.Count);
    }

    [Fact]
    public void Missing_override_names_the_input_and_dim()
    {
        var inputs = new[] { FloatInput(null, 3, null, 320) };

        var e = Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, NoOverrides, 5));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("'d2'", e.Message);
        Assert.Contains("--input-shape x=1,3,d2,320", e.Message);
    }

    [Fact]
    public void Override_must_fit_the_models_fixed_dims()
    {
        var inputs = new[] { FloatInput(null, 3, null) };

        Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, new Dictionary<string, long[]> { ["x"] = [1, 4, 5] }, 5));
        Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, new Dictionary<string, long[]> { ["x"] = [1, 3] }, 5));
        var e = Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, new Dictionary<string, long[]> { ["y"] = [1, 3, 5] }, 5));
        Assert.Contains("'y'", e.Message);
    }

    [Fact]
    public void Every_input_gets_values_of_its_type()
    {
        var inputs = new[]
        {
            Input("ids", ElementType.Int64, null, 50),
            Input("mask", ElementType.Int32, null, 50),
            Input("flags", ElementType.Bool, null, 50),
            Input("pixels", ElementType.UInt8, null, 50),
            Input("signed", ElementType.Int8, null, 50),
            Input("half", ElementType.Float16, null, 50),
            Input("wide", ElementType.Double, null, 50),
        };
        using var source = new RandomDataSource(inputs, NoOverrides, 20);

        var batch = source.ReadBatches(20).Single();
        Assert.Equal(inputs.Select(i => i.Name), batch.Inputs.Select(t => t.Name));
        Assert.All((long[])batch.Inputs[0].Data, v => Assert.InRange(v, 0, 15));
        Assert.All((int[])batch.Inputs[1].Data, v => Assert.InRange(v, 0, 15));
        Assert.Contains(true, (bool[])batch.Inputs[2].Data);
        Assert.Contains(false, (bool[])batch.Inputs[2].Data);
        Assert.Contains((sbyte[])batch.Inputs[4].Data, v => v < 0);
        Assert.Equal([20L, 50], batch.Inputs[5].Shape);
        Assert.IsType<double[]>(batch.Inputs[6].Data);
    }

    [Fact]
    public void Floats_are_standard_normal()
    {
        using var source = new RandomDataSource([FloatInput(null, 100)], NoOverrides, 200);

        var values = Floats(source, 64);
        double mean = values.Average(), variance = values.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(variance, 0.95, 1.05);
    }

    [Fact]
    public void Unsupported_types_are_rejected_at_open()
    {
        var e = Assert.Throws<ShrinkException>(() => new RandomDataSource([Input("text", ElementType.String, null, 1)], NoOverrides, 1));
        Assert.Contains("'text'", e.Message);
    }
}
