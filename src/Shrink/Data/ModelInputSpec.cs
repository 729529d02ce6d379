using System.Globalization;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>One model input as the model declares it.</summary>
/// <param name="Name">The input's name in the graph.</param>
/// <param name="Type">The element type the model expects.</param>
/// <param name="Dims">Declared dims, null where symbolic or unknown; empty when the model declares no shape (or a scalar, see <see cref="IsScalar"/>).</param>
/// <param name="DimNames">Symbolic dim names (e.g. <c>batch</c>) parallel to <paramref name="Dims"/>; null where fixed or unnamed.</param>
public sealed record ModelInputSpec(string Name, ElementType Type, IReadOnlyList<long?> Dims, IReadOnlyList<string?> DimNames)
{
    /// <summary>True when the model declares the input a scalar (shape <c>[]</c>), as opposed to declaring no shape at all.</summary>
    public bool IsScalar { get; init; }

    /// <summary>The axis along which samples are stacked (0 for most inputs; 1 for a recurrent state [layers,batch,hidden]); -1 for scalars.</summary>
    public int BatchAxis { get; init; }

    /// <summary>
    /// For an integer input that indexes a table (it feeds a Gather's indices whose data is a constant), the table's
    /// size along the gathered axis: valid values are [0, IndexLimit). Null when unknown.
    /// </summary>
    public long? IndexLimit { get; init; }

    /// <summary>The name of dim <paramref name="axis"/>: its size, its symbol, or <c>?</c>.</summary>
    internal string DimText(int axis) =>
        Dims[axis]?.ToString(CultureInfo.InvariantCulture) ?? (axis < DimNames.Count ? DimNames[axis] : null) ?? "?";

    /// <summary>The declared shape as text, e.g. <c>[batch,1,28,28]</c>.</summary>
    internal string ShapeText => "[" + string.Join(",", Enumerable.Range(0, Dims.Count).Select(DimText)) + "]";

    /// <summary>The declared dim at the batch axis, when the input has one and it is fixed.</summary>
    internal long? FixedBatch => !IsScalar && BatchAxis >= 0 && BatchAxis < Dims.Count ? Dims[BatchAxis] : null;
}
