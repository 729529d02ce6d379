using System.Numerics;
using System.Runtime.InteropServices;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// Converts array values to the element type of the model input they feed: any number feeds a float input; integers
/// and bools feed integer and bool inputs (a value out of the input type's range, or a bool input given anything but
/// 0 and 1, is refused); floats never feed an integer or bool input.
/// </summary>
internal static class ElementConversion
{
    /// <summary>The model input types values can be converted to.</summary>
    public static bool Supports(ElementType type) => type is ElementType.Float or ElementType.Float16 or ElementType.Double
        or ElementType.Int64 or ElementType.Int32 or ElementType.Int8 or ElementType.UInt8 or ElementType.Bool;

    /// <summary>Why values of <paramref name="kind"/> cannot feed a <paramref name="target"/> input; null when they can.</summary>
    public static string? Refusal(NumberKind kind, ElementType target)
    {
        if (!Supports(target))
            return $"model inputs of type {target.OnnxName()} cannot be fed from arrays";
        bool floatTarget = target is ElementType.Float or ElementType.Float16 or ElementType.Double;
        return kind == NumberKind.Float && !floatTarget
            ? $"floating-point values cannot feed the {target.OnnxName()} input (give integers{(target == ElementType.Bool ? ", 0/1 or booleans" : "")})"
            : null;
    }

    /// <summary>
    /// The little-endian values in <paramref name="raw"/> (of <paramref name="dtype"/>) as an array of
    /// <paramref name="target"/>'s representation (<c>float[]</c>, <c>long[]</c>, <c>bool[]</c>...).
    /// </summary>
    /// <exception cref="ShrinkException">A value does not fit <paramref name="target"/>; the message starts with <paramref name="origin"/> and names <paramref name="input"/>.</exception>
    public static Array FromRaw(ReadOnlySpan<byte> raw, NpyDtype dtype, ElementType target, string origin, string input)
    {
        try
        {
            return target switch
            {
                ElementType.Float => Raw<float>(raw, dtype),
                ElementType.Double => Raw<double>(raw, dtype),
                ElementType.Float16 => Raw<Half>(raw, dtype),
                ElementType.Int64 => Raw<long>(raw, dtype),
                ElementType.Int32 => Raw<int>(raw, dtype),
                ElementType.Int8 => Raw<sbyte>(raw, dtype),
                ElementType.UInt8 => Raw<byte>(raw, dtype),
                ElementType.Bool => ToBool(Raw<byte>(raw, dtype), origin, input),
                _ => throw new ShrinkException($"{origin}: model input '{input}' of type {target.OnnxName()} cannot be fed from arrays."),
            };
        }
        catch (OverflowException)
        {
            throw new ShrinkException($"{origin}: a value does not fit the {target.OnnxName()} model input '{input}'.");
        }
    }

    /// <summary>Integer values (JSON Lines) as <paramref name="target"/>'s representation.</summary>
    public static Array FromInt64(ReadOnlySpan<long> values, ElementType target, string origin, string input) =>
        FromRaw(MemoryMarshal.AsBytes(values), new NpyDtype(NumberKind.Signed, 8), target, origin, input);

    /// <summary>Floating-point values (JSON Lines) as <paramref name="target"/>'s representation (a float input).</summary>
    public static Array FromDouble(ReadOnlySpan<double> values, ElementType target, string origin, string input) =>
        FromRaw(MemoryMarshal.AsBytes(values), new NpyDtype(NumberKind.Float, 8), target, origin, input);

    private static T[] Raw<T>(ReadOnlySpan<byte> raw, NpyDtype dtype) where T : unmanaged, INumberBase<T>
    {
        var result = new T[raw.Length / dtype.Size];
        switch (dtype.Kind, dtype.Size)
        {
            case (NumberKind.Bool, _) or (NumberKind.Unsigned, 1): Fill<byte, T>(raw, result); break;
            case (NumberKind.Unsigned, 2): Fill<ushort, T>(raw, result); break;
            case (NumberKind.Unsigned, 4): Fill<uint, T>(raw, result); break;
            case (NumberKind.Unsigned, _): Fill<ulong, T>(raw, result); break;
            case (NumberKind.Signed, 1): Fill<sbyte, T>(raw, result); break;
            case (NumberKind.Signed, 2): Fill<short, T>(raw, result); break;
            case (NumberKind.Signed, 4): Fill<int, T>(raw, result); break;
            case (NumberKind.Signed, _): Fill<long, T>(raw, result); break;
            case (NumberKind.Float, 2): Fill<Half, T>(raw, result); break;
            case (NumberKind.Float, 4): Fill<float, T>(raw, result); break;
            default: Fill<double, T>(raw, result); break;
        }
        return result;
    }

    private static void Fill<TSource, T>(ReadOnlySpan<byte> raw, Span<T> result)
        where TSource : unmanaged, INumberBase<TSource> where T : unmanaged, INumberBase<T>
    {
        var source = MemoryMarshal.Cast<byte, TSource>(raw);
        if (typeof(TSource) == typeof(T))
        {
            MemoryMarshal.Cast<TSource, T>(source).CopyTo(result);
            return;
        }
        for (int i = 0; i < source.Length; i++)
            result[i] = T.CreateChecked(source[i]);
    }

    private static bool[] ToBool(byte[] values, string origin, string input)
    {
        var result = new bool[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = values[i] switch
            {
                0 => false,
                1 => true,
                _ => throw new ShrinkException($"{origin}: value {values[i]} given to the bool model input '{input}'; only 0 and 1 (or booleans) are accepted."),
            };
        return result;
    }
}
