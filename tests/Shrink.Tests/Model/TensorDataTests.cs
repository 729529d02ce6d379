using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Shrink.Tests.Model;

public sealed class TensorDataTests
{
    private static byte[] Bytes<T>(params T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static int HalfBits(float v) => BitConverter.HalfToUInt16Bits((Half)v);

    private static int BFloat16Bits(float v) => (int)(BitConverter.SingleToUInt32Bits(v) >> 16);

    /// <summary>
    /// One tensor stored in a typed field (as older exporters write it) and the little-endian bytes the same
    /// values have in raw_data, written out by hand.
    /// </summary>
    private static (TensorProto Typed, byte[] Raw) Case(string name)
    {
        var t = new TensorProto { Name = "t" };
        byte[] raw;
        switch (name)
        {
            case "float":
                t.DataType = (int)DataType.Float;
                t.FloatData.AddRange([1.5f, -0f, 3.25e-5f, -1e30f]);
                raw = Bytes(1.5f, -0f, 3.25e-5f, -1e30f);
                break;
            case "double":
                t.DataType = (int)DataType.Double;
                t.DoubleData.AddRange([0.1, -2.0, 1e-300]);
                raw = Bytes(0.1, -2.0, 1e-300);
                break;
            case "float16":
                t.DataType = (int)DataType.Float16;
                t.Int32Data.AddRange([HalfBits(1f), HalfBits(-2.5f), HalfBits(65504f), HalfBits(6.1035156e-5f)]);
                raw = Bytes((Half)1f, (Half)(-2.5f), (Half)65504f, (Half)6.1035156e-5f);
                break;
            case "bfloat16":
                t.DataType = (int)DataType.Bfloat16;
                t.Int32Data.AddRange([BFloat16Bits(1f), BFloat16Bits(-3f), BFloat16Bits(0.5f)]);
                raw = Bytes((ushort)0x3F80, (ushort)0xC040, (ushort)0x3F00);
                break;
            case "int8":
                t.DataType = (int)DataType.Int8;
                t.Int32Data.AddRange([-128, -1, 0, 127]);
                raw = Bytes<sbyte>(-128, -1, 0, 127);
                break;
            case "uint8":
                t.DataType = (int)DataType.Uint8;
                t.Int32Data.AddRange([0, 1, 200, 255]);
                raw = [0, 1, 200, 255];
                break;
            case "int16":
                t.DataType = (int)DataType.Int16;
                t.Int32Data.AddRange([-32768, 5, 32767]);
                raw = Bytes<short>(-32768, 5, 32767);
                break;
            case "uint16":
                t.DataType = (int)DataType.Uint16;
                t.Int32Data.AddRange([0, 65535, 1234]);
                raw = Bytes<ushort>(0, 65535, 1234);
                break;
            case "int32":
                t.DataType = (int)DataType.Int32;
                t.Int32Data.AddRange([int.MinValue, -7, 0, 1 << 20]);
                raw = Bytes(int.MinValue, -7, 0, 1 << 20);
                break;
            case "int64":
                t.DataType = (int)DataType.Int64;
                t.Int64Data.AddRange([-3L, 1L << 40, 0L]);
                raw = Bytes(-3L, 1L << 40, 0L);
                break;
            case "uint32":
                t.DataType = (int)DataType.Uint32;
                t.Uint64Data.AddRange([0UL, uint.MaxValue, 17UL]);
                raw = Bytes(0u, uint.MaxValue, 17u);
                break;
            case "uint64":
                t.DataType = (int)DataType.Uint64;
                t.Uint64Data.AddRange([0UL, 1UL << 50]);
                raw = Bytes(0UL, 1UL << 50);
                break;
            case "bool":
                t.DataType = (int)DataType.Bool;
                t.Int32Data.AddRange([1, 0, 1]);
                raw = [1, 0, 1];
                break;
            default:
                throw new ArgumentException(name);
        }
        int bytesPerElement = ((ElementType)t.DataType).BitWidth() / 8;
        t.Dims.Add(raw.Length / bytesPerElement);
        return (t, raw);
    }

    public static TheoryData<string> TypedCases =>
        ["float", "double", "float16", "bfloat16", "int8", "uint8", "int16", "uint16", "int32", "int64", "uint32", "uint64", "bool"];

    // t (initializer) → Cast(to=float) → y: ONNX Runtime's own reading of the tensor, as floats.
    private static float[] OrtAsFloats(TensorProto tensor)
    {
        var g = new GraphProto { Name = "cast" };
        g.Initializer.Add(tensor.Clone());
        var cast = TinyModels.Node("Cast", ["t"], ["y"], "cast");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)DataType.Float });
        g.Node.Add(cast);
        g.Output.Add(TinyModels.FloatInfo("y", tensor.Dims.Select(d => (object)d).ToArray()));
        var outputs = OrtRunner.RunOnce(TinyModels.BuildModel(g).ToByteArray(), new Dictionary<string, TensorProto>());
        return MemoryMarshal.Cast<byte, float>(outputs[0].Bytes).ToArray();
    }

    [Theory]
    [MemberData(nameof(TypedCases))]
    public void Typed_field_storage_normalises_to_the_raw_bytes_of_the_same_values(string type)
    {
        var (typed, raw) = Case(type);
        var data = new TensorData(typed);
        data.Validate("test");

        Assert.Equal(raw, data.RawBytes.ToArray());
        // Normalised once: the typed field is gone and raw_data holds the bytes.
        Assert.Equal(raw, typed.RawData.ToByteArray());
        Assert.Empty(typed.FloatData);
        Assert.Empty(typed.Int32Data);
        Assert.Empty(typed.Int64Data);
        Assert.Empty(typed.DoubleData);
        Assert.Empty(typed.Uint64Data);
        data.Validate("test"); // still consistent
    }

    [Theory]
    [MemberData(nameof(TypedCases))]
    public void To_float_array_agrees_with_onnx_runtime_for_typed_and_raw_storage(string type)
    {
        var (typed, raw) = Case(type);
        float[] expected = OrtAsFloats(typed);

        Assert.Equal(expected, new TensorData(typed.Clone()).ToFloatArray());
        var rawTensor = TinyModels.RawTensor("t", typed.DataType, typed.Dims.ToArray(), raw);
        Assert.Equal(expected, new TensorData(rawTensor).ToFloatArray());
        // The normalised tensor still means the same to ORT.
        var normalised = typed.Clone();
        _ = new TensorData(normalised).RawBytes;
        Assert.Equal(expected, OrtAsFloats(normalised));
    }

    [Fact]
    public void Typed_access_views_each_type_with_its_values()
    {
        var f = TensorData.FromFloats("f", [2, 2], [1f, -2f, 3.5f, 0f]);
        Assert.Equal([1f, -2f, 3.5f, 0f], f.AsSpan<float>().ToArray());
        Assert.Equal(4, f.ElementCount);
        Assert.Equal(16, f.ByteCount);
        Assert.Equal([2L, 2L], f.Dims);
        Assert.Equal(ElementType.Float, f.Type);

        var h = TensorData.Create<Half>("h", [3], [(Half)1.5f, (Half)(-0.25f), Half.MaxValue], ElementType.Float16);
        Assert.Equal([(Half)1.5f, (Half)(-0.25f), Half.MaxValue], h.AsSpan<Half>().ToArray());
        Assert.Equal([1.5f, -0.25f, 65504f], h.ToFloatArray());
        Assert.Equal(6, h.ByteCount);

        var i8 = TensorData.Create<sbyte>("i8", [4], [-128, -1, 0, 127], ElementType.Int8);
        Assert.Equal([-128, -1, 0, 127], i8.AsSpan<sbyte>().ToArray());
        Assert.Equal([-128f, -1f, 0f, 127f], i8.ToFloatArray());

        var u8 = TensorData.Create<byte>("u8", [3], [0, 128, 255], ElementType.UInt8);
        Assert.Equal([0, 128, 255], u8.AsSpan<byte>().ToArray());
        Assert.Equal([0f, 128f, 255f], u8.ToFloatArray());

        var i32 = TensorData.Create<int>("i32", [2], [-5, 1 << 24], ElementType.Int32);
        Assert.Equal([-5, 1 << 24], i32.AsSpan<int>().ToArray());

        var i64 = TensorData.Create<long>("i64", [1, 2], [long.MinValue, 42L], ElementType.Int64);
        Assert.Equal([long.MinValue, 42L], i64.AsSpan<long>().ToArray());
        Assert.Equal(16, i64.ByteCount);

        var scalar = TensorData.FromFloats("s", [], [7f]);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal([7f], scalar.ToFloatArray());
    }

    [Fact]
    public void Viewing_data_with_a_type_of_another_width_is_refused()
    {
        var f = TensorData.FromFloats("f", [2], [1f, 2f]);
        Assert.Throws<InvalidOperationException>(() => f.AsSpan<Half>().ToArray());
        Assert.Throws<InvalidOperationException>(() => f.AsSpan<long>().ToArray());
        var i8 = TensorData.Create<sbyte>("i8", [1], [1], ElementType.Int8);
        Assert.Throws<InvalidOperationException>(() => i8.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Set_data_replaces_type_dims_and_values_and_clears_typed_fields()
    {
        var (typed, _) = Case("int64");
        var data = new TensorData(typed);
        data.SetData<float>([3], [1f, 2f, 3f], ElementType.Float);
        Assert.Equal(ElementType.Float, data.Type);
        Assert.Equal([3L], data.Dims);
        Assert.Empty(typed.Int64Data);
        Assert.Equal([1f, 2f, 3f], data.AsSpan<float>().ToArray());
        Assert.Equal("t", data.Name);
        data.Validate("test");
    }

    [Fact]
    public void Validate_names_the_tensor_when_the_data_size_is_wrong()
    {
        var t = TinyModels.RawTensor("weights", (int)DataType.Float, [2, 3], new byte[20]);
        var e = Assert.Throws<ShrinkException>(() => new TensorData(t).Validate("model.onnx"));
        Assert.Contains("'weights'", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);

        var typed = new TensorProto { Name = "typed", DataType = (int)DataType.Int8 };
        typed.Dims.Add(3);
        typed.Int32Data.AddRange([1, 2]);
        Assert.Contains("'typed'", Assert.Throws<ShrinkException>(() => new TensorData(typed).Validate("m")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_empty_tensors_and_strings()
    {
        var empty = TinyModels.RawTensor("empty", (int)DataType.Float, [0, 4], []);
        new TensorData(empty).Validate("m");
        Assert.Empty(new TensorData(empty).ToFloatArray());

        var strings = new TensorProto { Name = "s", DataType = (int)DataType.String };
        strings.Dims.Add(2);
        strings.StringData.Add(ByteString.CopyFromUtf8("a"));
        strings.StringData.Add(ByteString.CopyFromUtf8("bc"));
        new TensorData(strings).Validate("m");
        strings.StringData.RemoveAt(1);
        Assert.Throws<ShrinkException>(() => new TensorData(strings).Validate("m"));
    }

    [Fact]
    public void Index_of_non_finite_finds_the_first_nan_or_infinity()
    {
        Assert.Equal(2, TensorData.FromFloats("a", [4], [1f, 2f, float.NaN, float.PositiveInfinity]).IndexOfNonFinite());
        Assert.Equal(1, TensorData.FromFloats("b", [2], [1f, float.NegativeInfinity]).IndexOfNonFinite());
        Assert.Equal(-1, TensorData.FromFloats("c", [3], [float.MaxValue, float.Epsilon, -0f]).IndexOfNonFinite());
        Assert.Equal(-1, TensorData.FromFloats("e", [0], []).IndexOfNonFinite());
        Assert.Equal(1, TensorData.Create<Half>("h", [3], [(Half)1f, Half.NaN, Half.PositiveInfinity], ElementType.Float16).IndexOfNonFinite());
        Assert.Equal(-1, TensorData.Create<Half>("h2", [1], [Half.MaxValue], ElementType.Float16).IndexOfNonFinite());
        Assert.Equal(0, TensorData.Create<double>("d", [2], [double.NegativeInfinity, 0.0], ElementType.Double).IndexOfNonFinite());
        Assert.Equal(-1, TensorData.Create<int>("i", [2], [int.MaxValue, 0], ElementType.Int32).IndexOfNonFinite());

        // Typed float_data is read too.
        var typed = new TensorProto { Name = "typed", DataType = (int)DataType.Float };
        typed.Dims.Add(3);
        typed.FloatData.AddRange([0f, 1f, float.NaN]);
        Assert.Equal(2, new TensorData(typed).IndexOfNonFinite());
    }

    [Fact]
    public void A_tensor_still_referring_to_external_data_cannot_be_read()
    {
        var t = new TensorProto { Name = "ext", DataType = (int)DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(2);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        Assert.Throws<InvalidOperationException>(() => new TensorData(t).ToFloatArray());
    }
}
