using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Passes;

/// <summary>
/// The value of a one-element tensor an exporter computes from shapes and constants, when every dimension it reads is
/// known before running. torch writes a GPT attention's score scale <c>(C // heads) ** -0.5</c> as
/// Shape → Gather → Div → Cast → Pow; C is fixed by the projection weight, so the scale is a constant that ORT still
/// computes on every run and cannot fold into the weights. Dimensions come from <see cref="ShapeInference"/> (a batch
/// or sequence dimension stays a symbol and the value stays unknown). Integer arithmetic keeps ONNX's integer semantics
/// (Div truncates toward zero), and float arithmetic rounds to float after each op, as ONNX Runtime computes it.
/// </summary>
internal static class ShapeScalars
{
    private const int MaxDepth = 12;

    private readonly record struct Scalar(double Value, ElementType Type)
    {
        public bool IsInteger => Type is ElementType.Int64 or ElementType.Int32;
    }

    /// <summary>The value, or null when it depends on anything not known before running (or on an op not followed).</summary>
    public static double? Evaluate(ModelGraph graph, string value, IReadOnlyDictionary<string, string[]> shapes) =>
        Eval(graph, value, shapes, 0)?.Value;

    private static Scalar? Eval(ModelGraph graph, string value, IReadOnlyDictionary<string, string[]> shapes, int depth)
    {
        if (depth > MaxDepth || value.Length == 0) return null;
        if (graph.FindInitializer(value) is { } tensor) return FromTensor(tensor);
        if (graph.Producer(value) is not { Outputs.Count: 1 } node || !OpDomains.IsDefault(node.Domain)) return null;
        Scalar? In(int i) => i < node.Inputs.Count ? Eval(graph, node.Inputs[i], shapes, depth + 1) : null;
        switch (node.OpType)
        {
            case OpTypes.Constant:
                return node.ConstantValue() is { } constant ? FromTensor(constant) : null;
            case OpTypes.Gather:
                return Dimension(graph, node, shapes);
            case OpTypes.Identity:
            case OpTypes.Squeeze:
            case OpTypes.Unsqueeze:
                return In(0);
            case OpTypes.Cast:
                return In(0) is { } x ? Cast(x, (ElementType)node.GetInt("to", 0)) : null;
            case OpTypes.Neg:
                return In(0) is { } n ? Round(new Scalar(-n.Value, n.Type)) : null;
            case OpTypes.Sqrt:
                return In(0) is { IsInteger: false } s ? Round(new Scalar(Math.Sqrt(s.Value), s.Type)) : null;
            case OpTypes.Reciprocal:
                return In(0) is { IsInteger: false } r && r.Value != 0 ? Round(new Scalar(1 / r.Value, r.Type)) : null;
            case OpTypes.Add:
            case OpTypes.Sub:
            case OpTypes.Mul:
            case OpTypes.Div:
            case OpTypes.Pow:
                return In(0) is { } a && In(1) is { } b ? Binary(node.OpType, a, b) : null;
            default:
                return null;
        }
    }

    // Gather(Shape(t), i) of a dimension known as a number.
    private static Scalar? Dimension(ModelGraph graph, Node gather, IReadOnlyDictionary<string, string[]> shapes)
    {
        if (gather.Inputs.Count != 2 || gather.GetInt("axis", 0) != 0) return null;
        if (graph.Producer(gather.Inputs[0]) is not { } shape || shape.OpType != OpTypes.Shape || !OpDomains.IsDefault(shape.Domain)) return null;
        if (shape.GetInt("start", 0) != 0 || shape.HasAttribute("end")) return null;
        if (!shapes.TryGetValue(shape.Inputs[0], out var dims)) return null;
        if (graph.FindInitializer(gather.Inputs[1]) is not { Dims.Count: 0, Type: ElementType.Int64 } index) return null;
        long i = index.AsSpan<long>()[0];
        if (i < 0) i += dims.Length;
        if (i < 0 || i >= dims.Length) return null;
        return long.TryParse(dims[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) ? new Scalar(n, ElementType.Int64) : null;
    }

    private static Scalar? FromTensor(TensorData t)
    {
        if (t.ElementCount != 1) return null;
        return t.Type switch
        {
            ElementType.Float => new Scalar(t.AsSpan<float>()[0], ElementType.Float),
            ElementType.Double => new Scalar(t.AsSpan<double>()[0], ElementType.Double),
            ElementType.Int64 => new Scalar(t.AsSpan<long>()[0], ElementType.Int64),
            ElementType.Int32 => new Scalar(t.AsSpan<int>()[0], ElementType.Int32),
            _ => null,
        };
    }

    private static Scalar? Cast(Scalar x, ElementType to) => to switch
    {
        ElementType.Float or ElementType.Double => Round(new Scalar(x.Value, to)),
        ElementType.Int64 or ElementType.Int32 when double.IsFinite(x.Value) => new Scalar(Math.Truncate(x.Value), to),
        _ => null,
    };

    private static Scalar? Binary(string op, Scalar a, Scalar b)
    {
        if (a.Type != b.Type && op != OpTypes.Pow) return null; // ONNX requires one type, except Pow's exponent
        if (a.IsInteger && op == OpTypes.Div)
            return b.Value == 0 ? null : new Scalar(Math.Truncate(a.Value / b.Value), a.Type);
        double v = op switch
        {
            OpTypes.Add => a.Value + b.Value,
            OpTypes.Sub => a.Value - b.Value,
            OpTypes.Mul => a.Value * b.Value,
            OpTypes.Div => a.Value / b.Value,
            _ => Math.Pow(a.Value, b.Value),
        };
        if (!double.IsFinite(v)) return null;
        return a.IsInteger ? (Math.Abs(v) < 1L << 53 ? new Scalar(Math.Truncate(v), a.Type) : null) : Round(new Scalar(v, a.Type));
    }

    private static Scalar Round(Scalar x) => x.Type == ElementType.Float ? x with { Value = (float)x.Value } : x;
}
