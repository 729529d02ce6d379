namespace Shrink.Model;

/// <summary>
/// Tensor element types, numbered as ONNX's <c>TensorProto.DataType</c> so values convert one to one.
/// </summary>
public enum ElementType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 strings.</summary>
    String = 8,
    /// <summary>Boolean, one byte per element.</summary>
    Bool = 9,
    /// <summary>16-bit IEEE float.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
    /// <summary>8-bit float e4m3fn.</summary>
    Float8E4M3FN = 17,
    /// <summary>8-bit float e4m3fnuz.</summary>
    Float8E4M3FNUZ = 18,
    /// <summary>8-bit float e5m2.</summary>
    Float8E5M2 = 19,
    /// <summary>8-bit float e5m2fnuz.</summary>
    Float8E5M2FNUZ = 20,
    /// <summary>Unsigned 4-bit integer, two per byte, low nibble first.</summary>
    UInt4 = 21,
    /// <summary>Signed 4-bit integer, two per byte, low nibble first.</summary>
    Int4 = 22,
    /// <summary>4-bit float e2m1, two per byte.</summary>
    Float4E2M1 = 23,
}

/// <summary>Facts about <see cref="ElementType"/> values.</summary>
public static class ElementTypeInfo
{
    /// <summary>Bits per element, or 0 for types without a fixed width (strings, undefined).</summary>
    public static int BitWidth(this ElementType type) => type switch
    {
        ElementType.Float or ElementType.Int32 or ElementType.UInt32 => 32,
        ElementType.UInt8 or ElementType.Int8 or ElementType.Bool => 8,
        ElementType.Float8E4M3FN or ElementType.Float8E4M3FNUZ or ElementType.Float8E5M2 or ElementType.Float8E5M2FNUZ => 8,
        ElementType.UInt16 or ElementType.Int16 or ElementType.Float16 or ElementType.BFloat16 => 16,
        ElementType.Int64 or ElementType.UInt64 or ElementType.Double or ElementType.Complex64 => 64,
        ElementType.Complex128 => 128,
        ElementType.UInt4 or ElementType.Int4 or ElementType.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>True when <paramref name="type"/> is a value ONNX defines and that has a fixed width.</summary>
    public static bool IsKnownFixedWidth(this ElementType type) => BitWidth(type) > 0;

    /// <summary>Bytes needed to store <paramref name="count"/> elements packed (4-bit types round up).</summary>
    public static long ByteCount(this ElementType type, long count) => (count * BitWidth(type) + 7) / 8;

    /// <summary>The ONNX name of the type, as in <c>tensor(float)</c>.</summary>
    public static string OnnxName(this ElementType type) => type switch
    {
        ElementType.Float => "float",
        ElementType.UInt8 => "uint8",
        ElementType.Int8 => "int8",
        ElementType.UInt16 => "uint16",
        ElementType.Int16 => "int16",
        ElementType.Int32 => "int32",
        ElementType.Int64 => "int64",
        ElementType.String => "string",
        ElementType.Bool => "bool",
        ElementType.Float16 => "float16",
        ElementType.Double => "double",
        ElementType.UInt32 => "uint32",
        ElementType.UInt64 => "uint64",
        ElementType.BFloat16 => "bfloat16",
        ElementType.Int4 => "int4",
        ElementType.UInt4 => "uint4",
        _ => type.ToString().ToLowerInvariant(),
    };
}
