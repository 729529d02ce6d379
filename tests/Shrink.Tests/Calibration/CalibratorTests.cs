using Shrink.Calibration;

namespace Shrink.Tests.Calibration;

public class CalibratorTests
{
    private static readonly CalibrationSettings Settings = new();

    // A coarse 4-bit grid makes the rounding-versus-clipping trade-off clear.
    private static readonly QuantTarget FourBit = new(-8, 7, true);

    private static float[] Gaussian(int n, int seed, float sigma = 1f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = sigma * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    [Fact]
    public void MinMax_over_batches_is_the_exact_range_widened_to_zero()
    {
        var cal = new MinMaxCalibration().Create("t");
        cal.Observe([0.5f, 2f]);
        cal.Observe([1f, 3.25f]);
        Assert.Equal(new CalibrationRange(0f, 3.25f), cal.ComputeRange(QuantTarget.UInt8Asymmetric));
        cal.Observe([-0.75f]);
        Assert.Equal(new CalibrationRange(-0.75f, 3.25f), cal.ComputeRange(QuantTarget.UInt8Asymmetric));
        Assert.Equal(new CalibrationRange(-3.25f, 3.25f), cal.ComputeRange(QuantTarget.Int8Symmetric));
        Assert.Equal(5, cal.Count);
    }

    [Fact]
    public void Percentile_cuts_within_a_bin_of_the_exact_percentile()
    {
        var values = Enumerable.Range(1, 10000).Select(i => (float)i).ToArray();
        var cal = new PercentileCalibration(Settings with { Percentile = 99 }).Create("t");
        foreach (var chunk in values.Chunk(777)) cal.Observe(chunk);
        var r = cal.ComputeRange(QuantTarget.UInt8Asymmetric);
        double binWidth = 2 * 16384.0 / Settings.Bins; // the histogram grew to R = 2^14 to hold 10000
        Assert.InRange(r.Max, 9900 - binWidth, 9900 + binWidth);
        Assert.Equal(0f, r.Min);
    }

    [Fact]
    public void Entropy_clips_outliers_but_keeps_the_bulk()
    {
        var x = Gaussian(200_000, 1);
        x[0] = 60; x[1] = -55; x[2] = 70;
        var cal = new EntropyCalibration(Settings).Create("t");
        foreach (var chunk in x.Chunk(10_000)) cal.Observe(chunk);
        var r = cal.ComputeRange(QuantTarget.Int8Symmetric);
        Assert.InRange(r.Max, 3f, 30f); // above 3σ, far below the 70 outlier
        Assert.Equal(-r.Max, r.Min);
    }

    [Fact]
    public void Mse_keeps_a_uniform_range_and_clips_a_heavy_tail()
    {
        var rng = new Random(2);
        var uniform = Enumerable.Range(0, 100_000).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var u = new MseCalibration(Settings).Create("u");
        u.Observe(uniform);
        Assert.True(u.ComputeRange(QuantTarget.Int8Symmetric).Max > 0.9f);

        var laplace = Enumerable.Range(0, 100_000).Select(_ => { double v = rng.NextDouble() - 0.5; return (float)(-Math.Sign(v) * Math.Log(1 - 2 * Math.Abs(v))); }).ToArray();
        // A Laplacian's sparse far tail costs more in rounding error for everyone than clipping it costs the few.
        var l = new MseCalibration(Settings).Create("l");
        l.Observe(laplace);
        float absMax = laplace.Max(Math.Abs);
        var r = l.ComputeRange(FourBit);
        Assert.True(r.Max < 0.9f * absMax, $"clipped at {r.Max} of {absMax}");
    }

    [Fact]
    public void Mse_never_does_worse_than_the_full_range()
    {
        var h = new StreamingHistogram("t");
        var x = Gaussian(50_000, 7);
        h.Add(x);
        var full = CalibrationRange.Create(h.Min, h.Max);
        var chosen = new MseCalibration(Settings).Create("t");
        chosen.Observe(x);
        var r = chosen.ComputeRange(QuantTarget.UInt8Asymmetric);
        double chosenError = MseCalibration.ExpectedError(h.Counts, h.Range, h.BinWidth, r, QuantTarget.UInt8Asymmetric);
        double fullError = MseCalibration.ExpectedError(h.Counts, h.Range, h.BinWidth, full, QuantTarget.UInt8Asymmetric);
        Assert.True(chosenError <= fullError);
    }

    [Fact]
    public void Histogram_growth_keeps_counts_and_moves_mass_to_the_right_bins()
    {
        var h = new StreamingHistogram("t", 64);
        h.Add([0.1f, -0.2f, 0.3f]);
        float first = h.Range;
        h.Add([5f, -7f]);
        Assert.True(h.Range >= 7f && h.Range / first is 32f or 16f or 64f, $"R grew by doubling: {first} → {h.Range}");
        Assert.Equal(5, h.Counts.ToArray().Sum());
        Assert.Equal(64, h.Counts.Length);
        // Compare with a histogram built in one go over the final range: each value within one bin.
        var direct = new long[64];
        foreach (var v in new[] { 0.1f, -0.2f, 0.3f, 5f, -7f })
            direct[Math.Clamp((int)((v + h.Range) / (2 * h.Range) * 64), 0, 63)]++;
        for (int i = 0; i < 64; i++)
        {
            long windowed = h.Counts.Slice(Math.Max(0, i - 1), Math.Min(64, i + 2) - Math.Max(0, i - 1)).ToArray().Sum();
            Assert.True(direct[i] <= windowed, $"bin {i}");
        }
    }

    [Fact]
    public void All_zero_tensors_give_a_finite_degenerate_range()
    {
        foreach (var name in CalibrationMethods.Names)
        {
            var cal = CalibrationMethods.Create(name, Settings).Create("zeros");
            cal.Observe(new float[100]);
            var r = cal.ComputeRange(QuantTarget.UInt8Asymmetric);
            Assert.True(r.IsDegenerate, name);
        }
    }

    [Fact]
    public void NaN_is_refused_naming_the_tensor()
    {
        foreach (var name in CalibrationMethods.Names)
        {
            var cal = CalibrationMethods.Create(name, Settings).Create("conv1_out");
            var e = Assert.Throws<ShrinkException>(() => cal.Observe([1f, float.NaN]));
            Assert.Contains("conv1_out", e.Message);
        }
    }

    [Fact]
    public void Unknown_method_lists_the_valid_ones()
    {
        var e = Assert.Throws<ShrinkException>(() => CalibrationMethods.Create("kl", Settings));
        Assert.Contains("entropy", e.Message);
    }

    [Fact]
    public void Memory_does_not_grow_with_batches()
    {
        var h = new StreamingHistogram("t");
        int bins = h.Counts.Length;
        var rng = new Random(5);
        for (int b = 0; b < 100; b++) h.Add(Gaussian(1000, b, 1 + b));
        Assert.Equal(bins, h.Counts.Length);
        Assert.Equal(100_000, h.Count);
    }
}
