using Shrink.Model;

namespace Shrink.Data;

/// <summary>One input tensor of a batch, in row-major order.</summary>
public sealed class BatchTensor
{
    /// <summary>Creates a tensor; <paramref name="data"/> must be the array type for <paramref name="type"/> and hold exactly the shape's element count.</summary>
    /// <param name="name">The model input it feeds.</param>
    /// <param name="type">The element type.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="data">The values.</param>
    /// <param name="batchAxis">The axis samples are stacked along (0 for most inputs); -1 for a tensor shared by every sample (a scalar input).</param>
    /// <exception cref="ArgumentException">The array type or length does not match, or the batch axis is outside the shape.</exception>
    public BatchTensor(string name, ElementType type, long[] shape, Array data, int batchAxis = 0)
    {
        var expected = type switch
        {
            ElementType.Float => typeof(float[]),
            ElementType.Int64 => typeof(long[]),
            ElementType.Int32 => typeof(int[]),
            ElementType.UInt8 => typeof(byte[]),
            ElementType.Int8 => typeof(sbyte[]),
            ElementType.Bool => typeof(bool[]),
            ElementType.Double => typeof(double[]),
            ElementType.Float16 => typeof(Half[]),
            _ => throw new ArgumentException($"Element type {type.OnnxName()} has no batch representation.", nameof(type)),
        };
        if (data.GetType() != expected)
            throw new ArgumentException($"Tensor '{name}' of type {type.OnnxName()} needs a {expected.Name}, not a {data.GetType().Name}.", nameof(data));
        long count = 1;
        foreach (long d in shape)
            count = d < 0 ? -1 : checked(count * d);
        if (count != data.LongLength)
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(",", shape)}] ({count} elements) but {data.LongLength} values.", nameof(data));
        if (batchAxis < -1 || (batchAxis >= 0 && batchAxis >= shape.Length && shape.Length > 0))
            throw new ArgumentException($"Tensor '{name}' of shape [{string.Join(",", shape)}] has no axis {batchAxis}.", nameof(batchAxis));
        Name = name;
        Type = type;
        Shape = shape;
        Data = data;
        BatchAxis = shape.Length == 0 ? -1 : batchAxis;
    }

    /// <summary>The model input this tensor feeds.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public ElementType Type { get; }

    /// <summary>The shape; samples are stacked along <see cref="BatchAxis"/> (the first axis for most inputs).</summary>
    public long[] Shape { get; }

    /// <summary>The axis samples are stacked along; -1 when the tensor is shared by every sample (a scalar input).</summary>
    public int BatchAxis { get; }

    /// <summary>The values: <c>float[]</c> for Float, <c>long[]</c> Int64, <c>int[]</c> Int32, <c>byte[]</c> UInt8, <c>sbyte[]</c> Int8, <c>bool[]</c> Bool, <c>double[]</c> Double, <c>Half[]</c> Float16.</summary>
    public Array Data { get; }
}
