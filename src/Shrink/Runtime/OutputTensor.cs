using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Shrink.Runtime;

/// <summary>One model output converted to float32, with its shape.</summary>
public sealed record OutputTensor(string Name, long[] Shape, float[] Data)
{
    internal static OutputTensor From(string name, OrtValue value)
    {
        if (!value.IsTensor)
            throw new ShrinkException($"Output '{name}' is not a tensor (sequences and maps are not supported).");
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        float[] data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => Convert(value.GetTensorDataAsSpan<double>(), static v => (float)v),
            TensorElementType.Float16 => Convert(value.GetTensorDataAsSpan<Float16>(), static v => (float)v),
            TensorElementType.Int64 => Convert(value.GetTensorDataAsSpan<long>(), static v => v),
            TensorElementType.Int32 => Convert(value.GetTensorDataAsSpan<int>(), static v => v),
            TensorElementType.Int8 => Convert(value.GetTensorDataAsSpan<sbyte>(), static v => v),
            TensorElementType.UInt8 => Convert(value.GetTensorDataAsSpan<byte>(), static v => v),
            TensorElementType.Bool => Convert(value.GetTensorDataAsSpan<bool>(), static v => v ? 1f : 0f),
            _ => throw new ShrinkException($"Output '{name}' has element type {info.ElementDataType}, which cannot be compared as numbers."),
        };
        return new OutputTensor(name, shape, data);
    }

    private static float[] Convert<T>(ReadOnlySpan<T> source, Func<T, float> f)
    {
        var result = new float[source.Length];
        for (int i = 0; i < source.Length; i++) result[i] = f(source[i]);
        return result;
    }
}
