using System.Runtime.InteropServices;
using Onnx;

namespace Shrink.Tests.TestSupport;

/// <summary>Compares ORT outputs with each other (bit for bit) or with stored references (with tolerance).</summary>
internal static class TensorCompare
{
    /// <summary>Null when both outputs have the same type, shape and bytes; otherwise what differs.</summary>
    public static string? BitIdentical(OutputTensor a, OutputTensor b)
    {
        if (a.ElementType != b.ElementType) return $"output '{a.Name}': type {a.ElementType} vs {b.ElementType}";
        if (!a.Shape.SequenceEqual(b.Shape)) return $"output '{a.Name}': shape {a.ShapeText} vs {b.ShapeText}";
        if (a.Strings is not null || b.Strings is not null)
        {
            return (a.Strings ?? []).SequenceEqual(b.Strings ?? [], StringComparer.Ordinal) ? null : $"output '{a.Name}': strings differ";
        }
        if (!a.Bytes.AsSpan().SequenceEqual(b.Bytes))
        {
            int i = a.Bytes.AsSpan().CommonPrefixLength(b.Bytes);
            return $"output '{a.Name}': bytes differ from byte {i} of {a.Bytes.Length}";
        }
        return null;
    }

    /// <summary>
    /// Null when <paramref name="actual"/> matches <paramref name="expected"/>: floating types within
    /// |a - e| &lt;= atol + rtol·|e| (NaN matches NaN, infinities match exactly), other types exactly.
    /// </summary>
    public static string? WithinTolerance(OutputTensor actual, TensorProto expected, double rtol = 1e-3, double atol = 1e-4)
    {
        if (actual.ElementType != expected.DataType)
            return $"output '{actual.Name}': type {actual.ElementType}, reference {expected.DataType}";
        if (!actual.Shape.SequenceEqual(expected.Dims))
            return $"output '{actual.Name}': shape {actual.ShapeText}, reference [{string.Join(",", expected.Dims)}]";
        if (expected.DataType == (int)TensorProto.Types.DataType.String)
        {
            var want = TensorBytes.StringsAsText(expected);
            return (actual.Strings ?? []).SequenceEqual(want, StringComparer.Ordinal) ? null : $"output '{actual.Name}': strings differ from the reference";
        }
        byte[] want2 = TensorBytes.Raw(expected);
        double[]? a = ToDoubles(actual.ElementType, actual.Bytes);
        double[]? e = ToDoubles(expected.DataType, want2);
        if (a is null || e is null)
        {
            if (actual.Bytes.AsSpan().SequenceEqual(want2)) return null;
            return $"output '{actual.Name}': differs from the reference at byte {actual.Bytes.AsSpan().CommonPrefixLength(want2)}";
        }
        if (a.Length != e.Length) return $"output '{actual.Name}': {a.Length} values, reference {e.Length}";
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
            if (double.IsInfinity(e[i]) || double.IsInfinity(a[i]))
            {
                if (a[i] == e[i]) continue;
                return $"output '{actual.Name}'[{i}]: {a[i]}, reference {e[i]}";
            }
            if (!(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i])))
                return $"output '{actual.Name}'[{i}]: {a[i]}, reference {e[i]}";
        }
        return null;
    }

    private static double[]? ToDoubles(int type, byte[] bytes) => (TensorProto.Types.DataType)type switch
    {
        TensorProto.Types.DataType.Float => MemoryMarshal.Cast<byte, float>(bytes).ToArray().Select(v => (double)v).ToArray(),
        TensorProto.Types.DataType.Double => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
        TensorProto.Types.DataType.Float16 => MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(v => (double)v).ToArray(),
        TensorProto.Types.DataType.Bfloat16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray()
            .Select(v => (double)BitConverter.Int32BitsToSingle(v << 16)).ToArray(),
        _ => null,
    };
}
