using Shrink.Calibration;

namespace Shrink.Tests.Calibration;

public class ActivationBatchPlanTests
{
    [Fact]
    public void Batch_is_the_largest_that_fits_the_budget_and_never_above_the_request()
    {
        (string, long)[] tensors = [("a", 100), ("b", 300)];
        var plan = ActivationBatchPlan.Create(tensors, inputBytesPerSample: 50, copies: 1, budgetBytes: 4000, requestedBatch: 64);
        Assert.Equal(450, plan.BytesPerSample);
        Assert.Equal(8, plan.BatchSize); // 8 × 450 = 3600 ≤ 4000 < 9 × 450
        Assert.Single(plan.Groups);
        Assert.True(plan.Reduced(64));

        var roomy = ActivationBatchPlan.Create(tensors, 50, copies: 1, budgetBytes: 1L << 30, requestedBatch: 64);
        Assert.Equal(64, roomy.BatchSize);
        Assert.False(roomy.Reduced(64));

        var tripled = ActivationBatchPlan.Create(tensors, 50, copies: 3, budgetBytes: 4000, requestedBatch: 64);
        Assert.Equal(3, tripled.BatchSize); // 3 × 1250 = 3750
    }

    [Fact]
    public void When_one_sample_is_over_the_budget_tensors_are_split_into_passes_that_each_fit()
    {
        (string, long)[] tensors = [("a", 100), ("b", 300), ("c", 250), ("d", 50)];
        var plan = ActivationBatchPlan.Create(tensors, inputBytesPerSample: 50, copies: 1, budgetBytes: 420, requestedBatch: 64);
        Assert.Equal(1, plan.BatchSize);
        Assert.Equal(["a", "b", "c", "d"], plan.Groups.SelectMany(g => g));
        Assert.True(plan.Groups.Count > 1);
        foreach (var g in plan.Groups)
            Assert.True(50 + g.Sum(n => tensors.Single(t => t.Item1 == n).Item2) <= 420, string.Join(",", g));
    }

    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5GB", 3L << 29)]
    [InlineData("1000", 1000L)]
    public void Sizes_parse_with_binary_units(string text, long bytes) => Assert.Equal(bytes, MemoryBudget.Parse(text));

    [Fact]
    public void Default_budget_is_at_most_the_cap_and_half_the_available_memory()
    {
        long d = MemoryBudget.DefaultBytes();
        Assert.InRange(d, MemoryBudget.MinimumBytes, MemoryBudget.DefaultCapBytes);
        Assert.True(d <= Math.Max(MemoryBudget.MinimumBytes, MemoryBudget.AvailableBytes() / 2));
        Assert.Null(MemoryBudget.Parse("lots"));
    }
}
