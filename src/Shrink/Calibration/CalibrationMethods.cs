namespace Shrink.Calibration;

/// <summary>The calibration methods by name. Registering a name twice throws.</summary>
public static class CalibrationMethods
{
    private static readonly Dictionary<string, Func<CalibrationSettings, ICalibrationMethod>> Factories = new(StringComparer.Ordinal);

    static CalibrationMethods()
    {
        Register("minmax", _ => new MinMaxCalibration());
        Register("percentile", s => new PercentileCalibration(s));
        Register("entropy", s => new EntropyCalibration(s));
        Register("mse", s => new MseCalibration(s));
    }

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>Adds a method.</summary>
    public static void Register(string name, Func<CalibrationSettings, ICalibrationMethod> factory)
    {
        if (!Factories.TryAdd(name, factory))
            throw new InvalidOperationException($"A calibration method named '{name}' is already registered.");
    }

    /// <summary>The method named <paramref name="name"/>; unknown names throw <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static ICalibrationMethod Create(string name, CalibrationSettings settings) =>
        Factories.TryGetValue(name, out var factory)
            ? factory(settings)
            : throw new ShrinkException($"Unknown calibration method '{name}'; use one of {string.Join(", ", Factories.Keys)}.");
}
