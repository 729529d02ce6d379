namespace Shrink.Data;

/// <summary>
/// A little-endian NumPy dtype the named-array readers accept: bool (<c>|b1</c>), signed and unsigned integers of 1 to
/// 8 bytes and floats of 2, 4 or 8 bytes.
/// </summary>
/// <param name="Kind">Bool, signed, unsigned or float.</param>
/// <param name="Size">Bytes per element.</param>
internal sealed record NpyDtype(NumberKind Kind, int Size)
{
    /// <summary>The NumPy name, e.g. <c>float64</c>, <c>int64</c>, <c>bool</c>.</summary>
    public string Name => Kind switch
    {
        NumberKind.Bool => "bool",
        NumberKind.Signed => $"int{Size * 8}",
        NumberKind.Unsigned => $"uint{Size * 8}",
        _ => $"float{Size * 8}",
    };

    /// <summary>True for floating-point dtypes.</summary>
    public bool IsFloat => Kind == NumberKind.Float;

    /// <summary>
    /// Parses a .npy <c>descr</c> such as <c>&lt;f8</c>, <c>|u1</c> or <c>|b1</c>; null for big-endian, complex, string,
    /// structured or other dtypes.
    /// </summary>
    public static NpyDtype? Parse(string descr)
    {
        if (descr.Length < 2) return null;
        int start = descr[0] is '<' or '|' or '=' ? 1 : descr[0] == '>' ? -1 : 0;
        if (start < 0)
            return descr.Length == 3 && descr[2] == '1' ? Parse("|" + descr[1..]) : null; // one byte has no byte order
        var kind = descr[start] switch
        {
            'b' => NumberKind.Bool,
            'i' => NumberKind.Signed,
            'u' => NumberKind.Unsigned,
            'f' => NumberKind.Float,
            _ => (NumberKind?)null,
        };
        if (kind is not NumberKind k || !int.TryParse(descr.AsSpan(start + 1), out int size)) return null;
        bool valid = k switch
        {
            NumberKind.Bool => size == 1,
            NumberKind.Float => size is 2 or 4 or 8,
            _ => size is 1 or 2 or 4 or 8,
        };
        return valid ? new NpyDtype(k, size) : null;
    }
}
