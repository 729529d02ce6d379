using System.Globalization;
using Shrink.Graph;

namespace Shrink.Data;

/// <summary>One model input as the model declares it.</summary>
/// <param name="Name">The input's name in the graph.</param>
/// <param name="Type">The element type the model expects.</param>
/// <param name="Dims">Declared dims, null where symbolic or unknown; empty when the model declares no shape.</param>
/// <param name="DimNames">Symbolic dim names (e.g. <c>batch</c>) parallel to <paramref name="Dims"/>; null where fixed or unnamed.</param>
public sealed record ModelInputSpec(string Name, ElementType Type, IReadOnlyList<long?> Dims, IReadOnlyList<string?> DimNames)
{
    /// <summary>The name of dim <paramref name="axis"/>: its size, its symbol, or <c>?</c>.</summary>
    internal string DimText(int axis) =>
        Dims[axis]?.ToString(CultureInfo.InvariantCulture) ?? (axis < DimNames.Count ? DimNames[axis] : null) ?? "?";

    /// <summary>The declared shape as text, e.g. <c>[batch,1,28,28]</c>.</summary>
    internal string ShapeText => "[" + string.Join(",", Enumerable.Range(0, Dims.Count).Select(DimText)) + "]";
}
