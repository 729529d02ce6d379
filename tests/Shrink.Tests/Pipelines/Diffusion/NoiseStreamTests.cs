using Shrink.Pipelines.Diffusion;

namespace Shrink.Tests.Pipelines.Diffusion;

public class NoiseStreamTests
{
    [Fact]
    public void A_seed_and_sample_number_always_give_the_same_values_and_others_differ()
    {
        var a = new float[16];
        var b = new float[16];
        var c = new float[16];
        var d = new float[16];
        new NoiseStream(3, 5).Fill(a);
        new NoiseStream(3, 5).Fill(b);
        new NoiseStream(3, 6).Fill(c);
        new NoiseStream(4, 5).Fill(d);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
    }

    [Fact]
    public void Values_are_standard_normal()
    {
        var stream = new NoiseStream(0, 0);
        const int n = 200_000;
        double sum = 0, squares = 0, fourth = 0;
        int beyond2 = 0;
        for (int i = 0; i < n; i++)
        {
            double v = stream.Next();
            sum += v;
            squares += v * v;
            fourth += v * v * v * v;
            if (Math.Abs(v) > 2) beyond2++;
        }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(squares / n, 0.98, 1.02);
        Assert.InRange(fourth / n, 2.9, 3.1);                // a normal's fourth moment is 3
        Assert.InRange(beyond2 / (double)n, 0.043, 0.048);   // P(|z| > 2) = 0.0455
    }
}
