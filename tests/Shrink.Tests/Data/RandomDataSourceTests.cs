using Shrink.Data;
using Shrink.Model;
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
    public void A_symbolic_sequence_of_token_ids_defaults_to_a_probe_length_and_says_so()
    {
        var tokens = new[] { Input("input_ids", ElementType.Int64, null, null) };
        using var source = new RandomDataSource(tokens, NoOverrides, 3);
        Assert.Equal([3L, RandomDataSource.DefaultSequenceLength], source.ReadBatches(3).Single().Inputs[0].Shape);
        Assert.Contains("'input_ids'", source.SequenceNote);
        Assert.Contains("--input-shape", source.SequenceNote);

        using var sized = new RandomDataSource(tokens, new Dictionary<string, long[]> { ["input_ids"] = [1, 40] }, 2);
        Assert.Equal([2L, 40], sized.ReadBatches(2).Single().Inputs[0].Shape);
        Assert.Null(sized.SequenceNote);
        // Only [batch, seq] integer inputs: a float sequence or a rank-3 integer input still needs --input-shape.
        Assert.Throws<ShrinkException>(() => new RandomDataSource([FloatInput(null, null)], NoOverrides, 1));
        Assert.Throws<ShrinkException>(() => new RandomDataSource([Input("ids", ElementType.Int64, null, null, 4)], NoOverrides, 1));
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

    [Theory]
    [InlineData(1_000_000_000_000L)]
    [InlineData(RandomDataSource.MaxCount + 1)]
    public void Absurd_counts_are_refused_naming_the_limit(long count)
    {
        var e = Assert.Throws<ShrinkException>(() => new RandomDataSource([FloatInput(null, 4)], NoOverrides, count));
        Assert.Contains($"random:{count}", e.Message);
        Assert.Contains("10,000,000", e.Message);
    }

    [Fact]
    public void The_largest_count_is_generated_batch_by_batch()
    {
        using var source = new RandomDataSource([FloatInput(null, 1000)], NoOverrides, RandomDataSource.MaxCount);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var batches = source.ReadBatches(8).Take(3).ToList();

        Assert.Equal(RandomDataSource.MaxCount, source.Count);
        Assert.All(batches, b => Assert.Equal([8L, 1000], b.Inputs[0].Shape));
        // Three batches of 8 x 1000 floats, not ten million samples.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
    }

    [Theory]
    [InlineData(-5L)]
    [InlineData(0L)]
    public void Non_positive_dims_are_refused_naming_the_input(long dim)
    {
        var e = Assert.Throws<ShrinkException>(() => new RandomDataSource([Input("frames", ElementType.Float, null, dim, 4)], NoOverrides, 4));
        Assert.Contains("'frames'", e.Message);
        Assert.Contains($"size {dim} at axis 1", e.Message);
    }

    [Fact]
    public void Absurd_dims_are_refused_naming_the_input_instead_of_overflowing()
    {
        var overflow = Assert.Throws<ShrinkException>(() => new RandomDataSource([Input("volume", ElementType.Float, null, 1L << 40, 1L << 40)], NoOverrides, 4));
        Assert.Contains("'volume'", overflow.Message);
        var huge = Assert.Throws<ShrinkException>(() => new RandomDataSource([Input("volume", ElementType.Float, null, 100_000, 100_000)], NoOverrides, 4));
        Assert.Contains("'volume'", huge.Message);
        Assert.Contains("40,000,000,000 bytes", huge.Message);
    }

    [Fact]
    public void Integer_inputs_stay_inside_the_table_they_index_masks_are_mostly_one()
    {
        var inputs = new[]
        {
            Input("input_ids", ElementType.Int64, null, 64) with { IndexLimit = 7 },
            Input("token_type_ids", ElementType.Int64, null, 64) with { IndexLimit = 2 },
            Input("attention_mask", ElementType.Int64, null, 64),
            Input("other", ElementType.Int32, null, 64),
        };
        using var source = new RandomDataSource(inputs, NoOverrides, 50);

        var batch = source.ReadBatches(50).Single();
        var ids = (long[])batch.Inputs[0].Data;
        var types = (long[])batch.Inputs[1].Data;
        var mask = (long[])batch.Inputs[2].Data;
        Assert.All(ids, v => Assert.InRange(v, 0, 6));
        Assert.Contains(6L, ids);
        Assert.Equal([0L, 1], types.Distinct().Order());
        Assert.Equal([0L, 1], mask.Distinct().Order());
        Assert.InRange(mask.Count(v => v == 1), mask.Length * 3 / 4, mask.Length - 1);
        Assert.All((int[])batch.Inputs[3].Data, v => Assert.InRange(v, 0, 15));
    }

    [Fact]
    public void Value_ranges_override_the_defaults_and_are_checked()
    {
        var inputs = new[] { Input("ids", ElementType.Int64, null, 32) with { IndexLimit = 7 }, FloatInput(null, 32) };
        var ranges = new Dictionary<string, ValueRange> { ["ids"] = new(100, 102), ["x"] = new(-0.5, 0.5) };
        using var source = new RandomDataSource(inputs, NoOverrides, 40, valueRanges: ranges);

        var batch = source.ReadBatches(40).Single();
        Assert.Equal([100L, 101, 102], ((long[])batch.Inputs[0].Data).Distinct().Order());
        Assert.All((float[])batch.Inputs[1].Data, v => Assert.InRange(v, -0.5f, 0.5f));

        var unknown = Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, NoOverrides, 4, valueRanges: new Dictionary<string, ValueRange> { ["idz"] = new(0, 1) }));
        Assert.Contains("--input-range names 'idz'", unknown.Message);
        var fraction = Assert.Throws<ShrinkException>(() => new RandomDataSource(inputs, NoOverrides, 4, valueRanges: new Dictionary<string, ValueRange> { ["ids"] = new(0, 1.5) }));
        Assert.Contains("whole numbers", fraction.Message);
    }

    [Fact]
    public void A_scalar_input_is_fed_one_positive_value_every_batch()
    {
        var inputs = new[] { FloatInput(null, 4), new ModelInputSpec("sample_rate", ElementType.Float, [], []) { IsScalar = true, BatchAxis = -1 } };
        using var source = new RandomDataSource(inputs, NoOverrides, 5);

        var batches = source.ReadBatches(2).ToList();
        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Empty(b.Inputs[1].Shape));
        Assert.All(batches, b => Assert.Equal(-1, b.Inputs[1].BatchAxis));
        Assert.All(batches, b => Assert.Equal(1f, Assert.Single((float[])b.Inputs[1].Data)));

        var ranged = new RandomDataSource(inputs, NoOverrides, 2, valueRanges: new Dictionary<string, ValueRange> { ["sample_rate"] = new(16000, 16000) });
        Assert.Equal(16000f, Assert.Single((float[])ranged.ReadBatches(2).Single().Inputs[1].Data));
    }

    [Fact]
    public void Samples_are_stacked_along_each_inputs_batch_axis()
    {
        var inputs = new[] { FloatInput(null, 4), Input("h", ElementType.Float, 2, null, 4) with { BatchAxis = 1 } };
        using var source = new RandomDataSource(inputs, NoOverrides, 5);

        var batches = source.ReadBatches(3).ToList();
        Assert.Equal([3L, 4], batches[0].Inputs[0].Shape);
        Assert.Equal([2L, 3, 4], batches[0].Inputs[1].Shape);
        Assert.Equal([2L, 2, 4], batches[1].Inputs[1].Shape);
        Assert.Equal(1, batches[1].Inputs[1].BatchAxis);
    }
}
