using Shrink.Model;
using Shrink.Training;

namespace Shrink.Tests.Training;

public sealed class FineTuneOptionsTests
{
    private static TensorData Filled(string name, long[] dims, float value) =>
        TensorData.FromFloats(name, dims, Enumerable.Repeat(value, (int)dims.Aggregate(1L, (a, b) => a * b)).ToArray());

    [Fact]
    public void The_default_adamw_rate_is_one_percent_of_the_median_weight_rms_ignoring_vectors()
    {
        TensorData[] weights = [Filled("a", [4, 4], 0.02f), Filled("b", [2, 8], -0.05f), Filled("c", [3, 3, 2], 0.2f), Filled("bias", [100], 50f)];
        Assert.Equal(5e-4, new FineTuneOptions().LearningRateFor(weights), 9); // median of 0.02, 0.05, 0.2
        Assert.Equal(0.01, new FineTuneOptions { Optimizer = "sgd" }.LearningRateFor(weights), 9);
        Assert.Equal(0.3, new FineTuneOptions { LearningRate = 0.3 }.LearningRateFor(weights), 9);
        Assert.Equal(1e-5, new FineTuneOptions().LearningRateFor([Filled("tiny", [2, 2], 1e-6f)]), 12); // clamped
    }

    [Fact]
    public void The_default_warmup_is_three_percent_of_the_steps_at_least_eight_at_most_a_quarter()
    {
        var options = new FineTuneOptions();
        Assert.Equal(8, options.WarmupFor(32));
        Assert.Equal(85, options.WarmupFor(2814)); // ceil(84.42)
        Assert.Equal(2, options.WarmupFor(10));
        Assert.Equal(0, new FineTuneOptions { WarmupSteps = 0 }.WarmupFor(1000));
    }
}
