using Microsoft.ML.OnnxRuntime;

namespace Shrink.Runtime;

/// <summary>Input tensors already bound to ONNX Runtime values, reusable across runs.</summary>
public sealed class PreparedInputs : IDisposable
{
    internal PreparedInputs(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        Names = names;
        Values = values;
    }

    internal IReadOnlyList<string> Names { get; }

    internal IReadOnlyList<OrtValue> Values { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in Values) v.Dispose();
    }
}
