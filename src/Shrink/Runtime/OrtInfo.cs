namespace Shrink.Runtime;

/// <summary>Facts about the ONNX Runtime in use.</summary>
public static class OrtInfo
{
    /// <summary>The ONNX Runtime package version (e.g. 1.31.1).</summary>
    public static string Version { get; } =
        typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? "unknown";
}
