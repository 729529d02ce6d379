using Onnx;

namespace Shrink.Model;

/// <summary>A named tensor value's declared element type and shape (from graph inputs, outputs or value_info).</summary>
public sealed record ValueInfo(string Name, ElementType Type, IReadOnlyList<Dimension>? Shape)
{
    /// <summary>Reads a <see cref="ValueInfoProto"/>; non-tensor types give <see cref="ElementType.Undefined"/>.</summary>
    public static ValueInfo FromProto(ValueInfoProto proto)
    {
        var tensor = proto.Type?.TensorType;
        if (tensor is null)
            return new ValueInfo(proto.Name, ElementType.Undefined, null);
        IReadOnlyList<Dimension>? shape = null;
        if (tensor.Shape is not null)
        {
            shape = tensor.Shape.Dim.Select(d => d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new Dimension(d.DimValue, null),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new Dimension(null, d.DimParam),
                _ => new Dimension(null, null),
            }).ToArray();
        }
        return new ValueInfo(proto.Name, (ElementType)tensor.ElemType, shape);
    }

    /// <summary>Writes this description as a <see cref="ValueInfoProto"/>.</summary>
    public ValueInfoProto ToProto()
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)Type };
        if (Shape is not null)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (var d in Shape)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Value is long v) dim.DimValue = v;
                else if (d.Symbol is string s) dim.DimParam = s;
                tensor.Shape.Dim.Add(dim);
            }
        }
        return new ValueInfoProto { Name = Name, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary>The shape as text, e.g. <c>[batch,1,28,28]</c>.</summary>
    public string ShapeText => Shape is null ? "[?]" : "[" + string.Join(",", Shape) + "]";
}
