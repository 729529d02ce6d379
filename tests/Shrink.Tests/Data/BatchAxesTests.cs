using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class BatchAxesTests
{
    private static ModelInputSpec Spec(string name, params object[] dims) =>
        new(name, ElementType.Float, [.. dims.Select(d => d is int i ? (long?)i : null)], [.. dims.Select(d => d as string)]);

    [Fact]
    public void A_recurrent_state_gets_the_axis_of_the_shared_batch_symbol()
    {
        var axes = BatchAxes.Infer([Spec("x", "batch", 4), Spec("h", 2, "batch", 4), new ModelInputSpec("rate", ElementType.Float, [], []) { IsScalar = true }]);

        Assert.Equal([0, 1, -1], axes.Select(i => i.BatchAxis));
    }

    [Fact]
    public void The_symbol_at_axis_0_of_the_others_is_the_batch_when_none_is_named_batch()
    {
        var axes = BatchAxes.Infer([Spec("x", "N", "T"), Spec("mask", "N", "T"), Spec("state", 3, "N", 8), Spec("bias", 5)]);

        Assert.Equal([0, 0, 1, 0], axes.Select(i => i.BatchAxis));
    }

    [Fact]
    public void Overrides_replace_the_inferred_axis_and_are_checked()
    {
        var inputs = BatchAxes.Infer([Spec("x", "n", 4), Spec("h", 2, "m", 4)]);
        Assert.Equal(0, inputs[1].BatchAxis);

        Assert.Equal(1, BatchAxes.Override(inputs, new Dictionary<string, int> { ["h"] = 1 })[1].BatchAxis);
        var unknown = Assert.Throws<ShrinkException>(() => BatchAxes.Override(inputs, new Dictionary<string, int> { ["hh"] = 1 }));
        Assert.Contains("--batch-axis names 'hh'", unknown.Message);
        var outside = Assert.Throws<ShrinkException>(() => BatchAxes.Override(inputs, new Dictionary<string, int> { ["h"] = 3 }));
        Assert.Contains("axes 0 to 2", outside.Message);
    }

    [Fact]
    public void A_fixed_batch_is_read_at_the_batch_axis_of_every_input()
    {
        Assert.Equal(1, FixedBatchDataSource.FixedBatchOf(BatchAxes.Infer([Spec("x", 1, 4)])));
        // h's leading 2 is its layer count, not a fixed batch.
        Assert.Null(FixedBatchDataSource.FixedBatchOf(BatchAxes.Infer([Spec("x", "batch", 4), Spec("h", 2, "batch", 4)])));

        using var random = new RandomDataSource([FloatInput(1, 4)], new Dictionary<string, long[]>(), 5);
        var notes = new List<string>();
        using var fixedBatch = FixedBatchDataSource.ForModel(random, [FloatInput(1, 4)], notes.Add);
        Assert.Same(fixedBatch, FixedBatchDataSource.ForModel(fixedBatch, [FloatInput(1, 4)], notes.Add));
        Assert.Equal([1, 1, 1, 1, 1], fixedBatch.ReadBatches(100).Select(b => b.Count));
        Assert.Equal("the model's batch dimension is fixed at 1: running one sample per batch", Assert.Single(notes));
    }
}
