using Shrink.Registration;

namespace Shrink.Calibration;

/// <summary>
/// The calibration methods by name: every <see cref="ICalibrationMethod"/> class marked <see cref="RegisteredAttribute"/>
/// (adding one is one new file). Each is made from its constructor taking <see cref="CalibrationSettings"/>, or its
/// parameterless one.
/// </summary>
public static class CalibrationMethods
{
    /// <summary>The registered methods.</summary>
    public static Registry<ICalibrationMethod> Registry { get; } = Registry<ICalibrationMethod>.Discover("calibration method");

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Names;

    /// <summary>The method named <paramref name="name"/>; unknown names throw <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static ICalibrationMethod Create(string name, CalibrationSettings settings)
    {
        var entry = Registry.Get(name);
        return entry.Type.GetConstructor([typeof(CalibrationSettings)]) is null ? Registry.Create(name) : Registry.Create(name, settings);
    }
}
