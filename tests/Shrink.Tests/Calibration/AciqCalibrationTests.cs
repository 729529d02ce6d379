using Shrink.Calibration;

namespace Shrink.Tests.Calibration;

public class AciqCalibrationTests
{
    private static readonly QuantTarget FourBit = new(-8, 7, true);

    private static float[] Laplace(int n, int seed, double scale, double centre = 0)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble() - 0.5;
            x[i] = (float)(centre - scale * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }
        return x;
    }

    [Theory]
    [InlineData(4, 2.83)]
    [InlineData(8, 3.89)]
    [InlineData(16, 5.03)]
    [InlineData(256, 9.89)]
    public void The_optimal_clip_matches_the_papers_laplace_values(int levels, double expected)
    {
        // The paper gives two decimals, truncated.
        Assert.InRange(AciqCalibration.OptimalClip(levels), expected - 0.005, expected + 0.01);
    }

    [Fact]
    public void A_laplace_sample_is_clipped_near_the_analytic_alpha()
    {
        const double b = 2;
        var x = Laplace(400_000, 3, b);
        var aciq = CalibrationMethods.Create("aciq", new CalibrationSettings()).Create("t");
        aciq.Observe(x);

        var four = aciq.ComputeRange(FourBit);
        Assert.InRange(four.Max, 0.97 * 5.03 * b, 1.03 * 5.03 * b);
        Assert.Equal(-four.Min, four.Max, 3);
        var eight = aciq.ComputeRange(QuantTarget.Int8Symmetric);
        Assert.InRange(eight.Max, 0.97 * 9.89 * b, 1.03 * 9.89 * b);
        Assert.True(eight.Max < x.Max(), "the 8-bit clip should still cut the sample's far tail");
    }

    [Fact]
    public void Asymmetric_targets_clip_around_the_mean()
    {
        const double b = 2, centre = 3;
        var x = Laplace(400_000, 4, b, centre);
        var aciq = new AciqCalibration(new CalibrationSettings()).Create("t");
        aciq.Observe(x);
        var r = aciq.ComputeRange(QuantTarget.UInt8Asymmetric);
        Assert.InRange((r.Min + r.Max) / 2, centre - 0.2, centre + 0.2);
        Assert.InRange(r.Max - r.Min, 0.97 * 2 * 9.89 * b, 1.03 * 2 * 9.89 * b);
    }

    [Fact]
    public void On_laplace_data_the_clip_has_less_error_than_the_full_range()
    {
        var x = Laplace(100_000, 5, 1);
        var h = new StreamingHistogram("t");
        h.Add(x);
        var aciq = new AciqCalibration(new CalibrationSettings()).Create("t");
        aciq.Observe(x);
        var clipped = aciq.ComputeRange(FourBit);
        var full = CalibrationRange.Create(h.Min, h.Max);
        double clippedError = MseCalibration.ExpectedError(h.Counts, h.Range, h.BinWidth, clipped, FourBit);
        double fullError = MseCalibration.ExpectedError(h.Counts, h.Range, h.BinWidth, full, FourBit);
        Assert.True(clippedError < 0.5 * fullError, $"aciq {clippedError} against the full range's {fullError}");
    }

    [Fact]
    public void Quantize_offers_aciq()
    {
        var calibration = global::Shrink.Cli.Cli.CreateRoot().Subcommands.Single(c => c.Name == "quantize").Options.Single(o => o.Name == "--calibration");
        Assert.Contains("aciq: ", calibration.Description, StringComparison.Ordinal);
        Assert.Empty(global::Shrink.Cli.Cli.CreateRoot().Parse(["quantize", "m.onnx", "-o", "q.onnx", "--calibration", "aciq"]).Errors);
    }
}
