using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class WeightGridTests
{
    [Theory]
    [InlineData(4, -8, 7)]
    [InlineData(3, -4, 3)]
    [InlineData(2, -2, 1)]
    [InlineData(8, -128, 127)]
    public void Symmetric_grid_matches_the_reference_levels(int bits, int lowest, int highest)
    {
        var grid = new WeightGrid(bits, true);
        var (scale, zp) = grid.ParamsFor(-0.5f, 2f);
        Assert.Equal(1 << (bits - 1), zp);
        Assert.Equal(2f / Math.Max(highest, 1), scale, 6);
        Assert.Equal(lowest, grid.Quantize(-100f, scale, zp) - zp);
        Assert.Equal(highest, grid.Quantize(100f, scale, zp) - zp);
        Assert.Equal(highest * scale, WeightGrid.Dequantize(grid.Quantize(2f, scale, zp), scale, zp), 5);
    }

    [Fact]
    public void Asymmetric_grid_covers_the_range_and_keeps_zero_exact()
    {
        var grid = new WeightGrid(4, false);
        var (scale, zp) = grid.ParamsFor(-1f, 2f);
        Assert.Equal(3f / 15, scale, 6);
        Assert.Equal(0f, WeightGrid.Dequantize(grid.Quantize(0f, scale, zp), scale, zp));
        Assert.Equal(-1f, WeightGrid.Dequantize(grid.Quantize(-1f, scale, zp), scale, zp), 1);
    }

    [Fact]
    public void Clip_search_clips_rare_extremes_and_lowers_the_error()
    {
        var grid = new WeightGrid(3, true);
        // Gaussian values: the extremes are rare, so a clipped range with finer steps wins.
        var values = new float[256];
        var rng = new Random(1);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var plain = grid.FindParams(values, values.Length, 1, default, 1);
        var searched = grid.FindParams(values, values.Length, 1, default, 20);
        Assert.True(searched.Scale < plain.Scale);
        Assert.True(Error(values, grid, searched) < 0.9 * Error(values, grid, plain));
    }

    private static double Error(float[] values, WeightGrid grid, (float Scale, int ZeroPoint) p) =>
        values.Sum(v => Math.Pow(v - WeightGrid.Dequantize(grid.Quantize(v, p.Scale, p.ZeroPoint), p.Scale, p.ZeroPoint), 2));
}
