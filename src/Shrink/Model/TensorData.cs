using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Shrink.Model;

/// <summary>
/// Typed access to the data of an ONNX <see cref="TensorProto"/> (an initializer or a Constant's value).
/// Data held in the typed repeated fields (<c>float_data</c>, <c>int32_data</c>...) is normalised once to
/// little-endian <c>raw_data</c>, which is what ONNX Runtime and our writers expect; the values are unchanged.
/// </summary>
public sealed class TensorData
{
    /// <summary>Wraps a tensor; call <see cref="Validate"/> before trusting its dims and data.</summary>
    public TensorData(TensorProto proto) => Proto = proto;

    /// <summary>The underlying protobuf.</summary>
    public TensorProto Proto { get; }

    /// <summary>The tensor name.</summary>
    public string Name => Proto.Name;

    /// <summary>The element type.</summary>
    public ElementType Type => (ElementType)Proto.DataType;

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Dims => Proto.Dims;

    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Proto.Dims) n *= d;
            return n;
        }
    }

    /// <summary>Bytes of data (packed for 4-bit types).</summary>
    public long ByteCount => Type.ByteCount(ElementCount);

    /// <summary>
    /// Checks dims and data size: element type known, dims non-negative without overflow, data present and of
    /// the size the dims declare. Throws <see cref="ShrinkException"/> naming <paramref name="where"/> and the tensor.
    /// </summary>
    public void Validate(string where)
    {
        var type = Type;
        if (!Enum.IsDefined(type) || type == ElementType.Undefined)
            throw new ShrinkException($"{where}: tensor '{Name}' has unknown data type {Proto.DataType}.");
        long count = 1;
        foreach (var d in Proto.Dims)
        {
            if (d < 0)
                throw new ShrinkException($"{where}: tensor '{Name}' has a negative dimension {d}.");
            if (d != 0 && count > long.MaxValue / 64 / d)
                throw new ShrinkException($"{where}: tensor '{Name}' declares absurd dims [{string.Join(",", Proto.Dims)}] (element count overflows).");
            count *= d;
        }
        if (Proto.DataLocation == TensorProto.Types.DataLocation.External)
            return; // checked against the external file by the reader
        if (Proto.Segment is not null)
            throw new ShrinkException($"{where}: tensor '{Name}' is segmented; segmented tensors are not supported.");
        long have = StoredElementCount(out bool raw);
        if (type == ElementType.String)
        {
            if (have != count)
                throw new ShrinkException($"{where}: tensor '{Name}' declares {count} strings but holds {have}.");
            return;
        }
        long expected = raw ? type.ByteCount(count) : count;
        // Typed int32_data packs two 4-bit values per entry.
        if (!raw && type.BitWidth() == 4) expected = (count + 1) / 2;
        if (!raw && (type == ElementType.Complex64 || type == ElementType.Complex128)) expected = count * 2;
        if (have != expected)
        {
            string unit = raw ? "bytes" : "values";
            throw new ShrinkException($"{where}: tensor '{Name}' with dims [{string.Join(",", Proto.Dims)}] and type {type.OnnxName()} needs {expected} {unit} but holds {have}.");
        }
    }

    private long StoredElementCount(out bool raw)
    {
        raw = false;
        if (Proto.RawData.Length > 0) { raw = true; return Proto.RawData.Length; }
        return Type switch
        {
            ElementType.Float or ElementType.Complex64 => Proto.FloatData.Count,
            ElementType.Double or ElementType.Complex128 => Proto.DoubleData.Count,
            ElementType.Int64 => Proto.Int64Data.Count,
            ElementType.UInt32 or ElementType.UInt64 => Proto.Uint64Data.Count,
            ElementType.String => Proto.StringData.Count,
            _ => Proto.Int32Data.Count,
        };
    }

    /// <summary>The data as little-endian bytes (normalising typed fields to raw_data once).</summary>
    public ReadOnlySpan<byte> RawBytes
    {
        get
        {
            EnsureRaw();
            return Proto.RawData.Span;
        }
    }

    /// <summary>The data viewed as <typeparamref name="T"/>; the type's width must match the element type.</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        int width = Type.BitWidth();
        if (width != 8 * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())
            throw new InvalidOperationException($"Tensor '{Name}' of type {Type.OnnxName()} cannot be viewed as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(RawBytes);
    }

    /// <summary>Copies the data to a new float array, converting from any numeric type.</summary>
    public float[] ToFloatArray()
    {
        var result = new float[ElementCount];
        switch (Type)
        {
            case ElementType.Float: AsSpan<float>().CopyTo(result); break;
            case ElementType.Float16:
                {
                    var s = AsSpan<Half>();
                    for (int i = 0; i < s.Length; i++) result[i] = (float)s[i];
                    break;
                }
            case ElementType.BFloat16:
                {
                    var s = AsSpan<ushort>();
                    for (int i = 0; i < s.Length; i++) result[i] = BitConverter.Int32BitsToSingle(s[i] << 16);
                    break;
                }
            case ElementType.Double: Convert(AsSpan<double>(), result, static v => (float)v); break;
            case ElementType.Int8: Convert(AsSpan<sbyte>(), result, static v => v); break;
            case ElementType.UInt8: Convert(AsSpan<byte>(), result, static v => v); break;
            case ElementType.Int16: Convert(AsSpan<short>(), result, static v => v); break;
            case ElementType.UInt16: Convert(AsSpan<ushort>(), result, static v => v); break;
            case ElementType.Int32: Convert(AsSpan<int>(), result, static v => v); break;
            case ElementType.UInt32: Convert(AsSpan<uint>(), result, static v => v); break;
            case ElementType.Int64: Convert(AsSpan<long>(), result, static v => v); break;
            case ElementType.UInt64: Convert(AsSpan<ulong>(), result, static v => v); break;
            case ElementType.Bool: Convert(AsSpan<byte>(), result, static v => v != 0 ? 1f : 0f); break;
            default: throw new InvalidOperationException($"Tensor '{Name}' of type {Type.OnnxName()} has no float view.");
        }
        return result;
    }

    private static void Convert<T>(ReadOnlySpan<T> source, Span<float> dest, Func<T, float> f)
    {
        for (int i = 0; i < source.Length; i++) dest[i] = f(source[i]);
    }

    /// <summary>Returns the index of the first NaN or infinite value, or -1; non-float types give -1.</summary>
    public long IndexOfNonFinite()
    {
        switch (Type)
        {
            case ElementType.Float:
                {
                    var s = AsSpan<float>();
                    for (int i = 0; i < s.Length; i++) if (!float.IsFinite(s[i])) return i;
                    return -1;
                }
            case ElementType.Double:
                {
                    var s = AsSpan<double>();
                    for (int i = 0; i < s.Length; i++) if (!double.IsFinite(s[i])) return i;
                    return -1;
                }
            case ElementType.Float16:
                {
                    var s = AsSpan<Half>();
                    for (int i = 0; i < s.Length; i++) if (!Half.IsFinite(s[i])) return i;
                    return -1;
                }
            default: return -1;
        }
    }

    /// <summary>Replaces the data and dims with a copy of <paramref name="values"/>, keeping the name.</summary>
    public void SetData<T>(ReadOnlySpan<long> dims, ReadOnlySpan<T> values, ElementType type) where T : unmanaged
    {
        Proto.Dims.Clear();
        foreach (var d in dims) Proto.Dims.Add(d);
        Proto.DataType = (int)type;
        ClearData();
        Proto.RawData = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(values).ToArray());
    }

    /// <summary>Creates a new tensor holding a copy of <paramref name="values"/>.</summary>
    public static TensorData Create<T>(string name, ReadOnlySpan<long> dims, ReadOnlySpan<T> values, ElementType type) where T : unmanaged
    {
        var t = new TensorData(new TensorProto { Name = name });
        t.SetData(dims, values, type);
        return t;
    }

    /// <summary>Creates a float tensor.</summary>
    public static TensorData FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) => Create(name, dims, values, ElementType.Float);

    private void ClearData()
    {
        Proto.RawData = ByteString.Empty;
        Proto.FloatData.Clear();
        Proto.Int32Data.Clear();
        Proto.Int64Data.Clear();
        Proto.DoubleData.Clear();
        Proto.Uint64Data.Clear();
        Proto.ExternalData.Clear();
        Proto.DataLocation = TensorProto.Types.DataLocation.Default;
    }

    private void EnsureRaw()
    {
        if (Proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidOperationException($"Tensor '{Name}' still refers to external data; load the model through OnnxModel.Load.");
        if (Proto.RawData.Length > 0 || ElementCount == 0)
            return;
        byte[] bytes = Type switch
        {
            ElementType.Float or ElementType.Complex64 => MemoryMarshal.AsBytes(Proto.FloatData.ToArray().AsSpan()).ToArray(),
            ElementType.Double or ElementType.Complex128 => MemoryMarshal.AsBytes(Proto.DoubleData.ToArray().AsSpan()).ToArray(),
            ElementType.Int64 => MemoryMarshal.AsBytes(Proto.Int64Data.ToArray().AsSpan()).ToArray(),
            ElementType.UInt64 => MemoryMarshal.AsBytes(Proto.Uint64Data.ToArray().AsSpan()).ToArray(),
            ElementType.UInt32 => Proto.Uint64Data.SelectMany(v => BitConverter.GetBytes((uint)v)).ToArray(),
            ElementType.Int32 => MemoryMarshal.AsBytes(Proto.Int32Data.ToArray().AsSpan()).ToArray(),
            ElementType.Int16 or ElementType.UInt16 or ElementType.Float16 or ElementType.BFloat16 =>
                Proto.Int32Data.SelectMany(v => BitConverter.GetBytes((ushort)v)).ToArray(),
            ElementType.Int8 or ElementType.UInt8 or ElementType.Bool or ElementType.Float8E4M3FN or ElementType.Float8E4M3FNUZ
                or ElementType.Float8E5M2 or ElementType.Float8E5M2FNUZ or ElementType.Int4 or ElementType.UInt4 or ElementType.Float4E2M1 =>
                Proto.Int32Data.Select(v => (byte)v).ToArray(),
            _ => throw new InvalidOperationException($"Tensor '{Name}' of type {Type.OnnxName()} has no raw form."),
        };
        ClearData();
        Proto.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>A deep copy (the bytes are immutable and shared).</summary>
    public TensorData Clone() => new(Proto.Clone());

    /// <summary>Renames the tensor (before it is added to a graph).</summary>
    public void Rename(string name) => Proto.Name = name;

    /// <summary>Relabels the element type without touching the bytes (for bytes already laid out in that type).</summary>
    public void Relabel(ElementType type) => Proto.DataType = (int)type;
}
