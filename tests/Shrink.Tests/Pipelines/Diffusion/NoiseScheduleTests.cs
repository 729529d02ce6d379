using Shrink.Pipelines.Diffusion;

namespace Shrink.Tests.Pipelines.Diffusion;

public class NoiseScheduleTests
{
    [Fact]
    public void Fifty_steps_of_a_thousand_visit_980_down_to_0()
    {
        var ts = new NoiseSchedule().SamplingTimesteps(50);
        Assert.Equal(50, ts.Length);
        Assert.Equal(980, ts[0]);
        Assert.Equal(960, ts[1]);
        Assert.Equal(0, ts[^1]);
    }

    [Fact]
    public void Alpha_bar_is_the_product_of_one_minus_the_linear_betas()
    {
        var s = new NoiseSchedule(1000, 1e-4, 0.02);
        Assert.Equal(1 - 1e-4, s.AlphaBar(0), 7);
        Assert.Equal((1 - 1e-4) * (1 - (1e-4 + (0.02 - 1e-4) / 999)), s.AlphaBar(1), 7);
        // The value PyTorch's float64 cumprod gives at t = 999 (train_tiny_ddpm.ABAR[999]).
        double product = 1;
        for (int t = 0; t < 1000; t++) product *= 1 - (1e-4 + t * (0.02 - 1e-4) / 999);
        Assert.Equal((float)product, s.AlphaBar(999));
        for (int t = 1; t < 1000; t++) Assert.True(s.AlphaBar(t) < s.AlphaBar(t - 1));
    }

    [Fact]
    public void More_steps_than_timesteps_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule().SamplingTimesteps(1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule().SamplingTimesteps(0));
    }
}
