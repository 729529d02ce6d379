namespace Shrink.Reports.Html;

/// <summary>A linear axis from data to pixels, with "nice" tick values (1, 2 or 5 times a power of ten).</summary>
internal sealed class AxisScale
{
    private readonly double _pixelFrom;
    private readonly double _pixelTo;

    /// <summary>An axis covering <paramref name="min"/>..<paramref name="max"/>, widened to whole ticks, drawn from <paramref name="pixelFrom"/> to <paramref name="pixelTo"/>.</summary>
    public AxisScale(double min, double max, double pixelFrom, double pixelTo, int targetTicks = 5)
    {
        if (!(max > min))
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            min -= pad;
            max += pad;
        }
        Step = NiceStep((max - min) / targetTicks);
        Min = Math.Floor(min / Step) * Step;
        Max = Math.Ceiling(max / Step) * Step;
        _pixelFrom = pixelFrom;
        _pixelTo = pixelTo;
    }

    /// <summary>The lowest value on the axis.</summary>
    public double Min { get; }

    /// <summary>The highest value on the axis.</summary>
    public double Max { get; }

    /// <summary>The distance between ticks.</summary>
    public double Step { get; }

    /// <summary>The pixel position of <paramref name="value"/>.</summary>
    public double Pixel(double value) => _pixelFrom + (value - Min) / (Max - Min) * (_pixelTo - _pixelFrom);

    /// <summary>The tick values from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public IEnumerable<double> Ticks()
    {
        int count = (int)Math.Round((Max - Min) / Step);
        for (int i = 0; i <= count; i++) yield return Min + i * Step;
    }

    private static double NiceStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double f = rough / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }
}
