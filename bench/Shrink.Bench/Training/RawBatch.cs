using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Shrink.Bench.Training;

/// <summary>
/// A batch written by <c>bench/torch_training.py batch</c>: <c>batch.json</c> names each array's dtype, shape and raw
/// little-endian file. Both sides of the training benchmark read the same files, so they see the same batch.
/// </summary>
internal sealed class RawBatch
{
    private RawBatch(Dictionary<string, RawArray> arrays) => Arrays = arrays;

    /// <summary>The arrays by name (model inputs and loss inputs).</summary>
    public IReadOnlyDictionary<string, RawArray> Arrays { get; }

    /// <summary>A batch of arrays made in code.</summary>
    public static RawBatch Of(Dictionary<string, RawArray> arrays) => new(arrays);

    public static RawBatch Load(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "batch.json")));
        var arrays = new Dictionary<string, RawArray>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = [.. entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            byte[] bytes = File.ReadAllBytes(Path.Combine(folder, entry.Value.GetProperty("file").GetString()!));
            arrays[entry.Name] = dtype switch
            {
                "float32" => new RawArray(shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray(), null),
                "int64" => new RawArray(shape, null, MemoryMarshal.Cast<byte, long>(bytes).ToArray()),
                _ => throw new ShrinkException($"{folder}: array '{entry.Name}' is {dtype}; the benchmark reads float32 and int64."),
            };
        }
        return new RawBatch(arrays);
    }

    /// <summary>A raw float32 file (a gradient written by the torch side).</summary>
    public static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
}

/// <summary>One array of a <see cref="RawBatch"/>: float32 or int64 data and its shape.</summary>
internal sealed record RawArray(long[] Shape, float[]? Floats, long[]? Longs)
{
    /// <summary>An ONNX Runtime tensor over the array's own memory (no copy).</summary>
    public OrtValue ToOrtValue() => Floats is not null
        ? OrtValue.CreateTensorValueFromMemory(Floats, Shape)
        : OrtValue.CreateTensorValueFromMemory(Longs!, Shape);
}
