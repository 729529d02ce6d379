using Shrink.Training;

namespace Shrink.Tests.Training;

/// <summary><see cref="FineTuning.Run"/> with <see cref="FineTuneOptions.MemoryBudgetBytes"/>: recomputation chosen only to fit, else a refusal.</summary>
public sealed class FineTuningMemoryBudgetTests
{
    private const int Samples = 64;

    private static FineTuneResult Train(long budget, bool recompute = false)
    {
        using var data = new ArrayDataSource("x", ActivationMemoryTests.Features, Tests.TestSupport.TinyModels.RandomFloats(Samples * ActivationMemoryTests.Features, 4), null);
        // Three GELU layers: while the last layer's backward runs, the first two keep their GELU values unless recomputed,
        // so recomputation lowers the step's peak (a single layer needs all of them at once anyway).
        var model = ActivationMemoryTests.GeluMlp(layers: 3);
        var options = new FineTuneOptions { BatchSize = 32, LearningRate = 1e-3, MemoryBudgetBytes = budget, Recompute = recompute };
        return FineTuning.Run(model, ActivationMemoryTests.GeluMlp(layers: 3), null, data, options);
    }

    [Fact]
    public void A_budget_that_fits_both_keeps_the_values_one_between_the_estimates_recomputes_and_one_below_both_is_refused()
    {
        var roomy = Train(1L << 30);
        var memory = Assert.IsType<TrainingMemory>(roomy.Memory);
        Assert.False(memory.Recompute);
        Assert.Equal(32, memory.Batch);
        long kept = memory.KeptBytes!.Value, recomputed = memory.RecomputedBytes;
        // Per sample each layer's GELU values d, a and gelu, 16 floats each (3 · 192 bytes), are not kept with recomputation.
        Assert.Equal(3 * 192L * 32, kept - recomputed);
        // The budget bounds the step's peak, which holds the kept values and the backward pass's own.
        long peak = memory.PeakBytes!.Value, recomputedPeak = memory.RecomputedPeakBytes;
        Assert.True(peak >= kept && recomputedPeak >= recomputed, $"peaks {peak}, {recomputedPeak}; kept {kept}, {recomputed}");
        Assert.True(recomputedPeak < peak, $"recomputation should lower the peak: {peak} → {recomputedPeak}");
        Assert.Contains(roomy.Notes, n => n.Contains("it fits without recomputation", StringComparison.Ordinal));
        Assert.DoesNotContain(roomy.Notes, n => n.StartsWith("recompute:", StringComparison.Ordinal));

        var between = Train((peak + recomputedPeak) / 2);
        Assert.True(between.Memory!.Recompute);
        Assert.Equal(peak, between.Memory.PeakBytes);
        Assert.Contains(between.Notes, n => n.Contains("recomputation is on to fit", StringComparison.Ordinal));
        Assert.Contains(between.Notes, n => n.StartsWith("recompute: 15 forward values", StringComparison.Ordinal));
        // Both trained (the weights moved; ORT may fuse the exported GELU differently in the two graphs, so not bit for bit).
        var start = ActivationMemoryTests.GeluMlp(layers: 3).Graph.FindInitializer("W1")!.ToFloatArray();
        Assert.NotEqual(start, roomy.Model.Graph.FindInitializer("W1")!.ToFloatArray());
        Assert.NotEqual(start, between.Model.Graph.FindInitializer("W1")!.ToFloatArray());

        var e = Assert.Throws<OptionsException>(() => Train(recomputedPeak - 1));
        Assert.Contains("without recomputation", e.Message, StringComparison.Ordinal);
        Assert.Contains("at batch 32", e.Message, StringComparison.Ordinal);
        Assert.Contains("--train-batch 31 or less", e.Message, StringComparison.Ordinal);
        Assert.Equal(["--memory-budget", "--train-batch"], e.Options);

        // --recompute with a budget: only the recomputing graph is estimated and checked.
        var forced = Train(recomputedPeak, recompute: true);
        Assert.True(forced.Memory!.Recompute);
        Assert.Null(forced.Memory.KeptBytes);
        Assert.Null(forced.Memory.PeakBytes);
        Assert.Equal(recomputed, forced.Memory.RecomputedBytes);
        Assert.Equal(recomputedPeak, forced.Memory.RecomputedPeakBytes);
    }
}
