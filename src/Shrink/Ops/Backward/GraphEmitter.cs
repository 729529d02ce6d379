using System.Globalization;

namespace Shrink.Ops;

/// <summary>
/// Appends nodes and constant initializers to a graph under fresh names: what backward rules and losses write with.
/// Shapes are read at run time (Shape, Size), so a symbolic batch or sequence length works. Expects the default-domain
/// opset to be 16 or later (Shape with start/end, ScatterElements with reduction), which the training graph ensures.
/// </summary>
public sealed class GraphEmitter
{
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shapes = new(StringComparer.Ordinal);
    private readonly string _prefix;

    /// <summary>An emitter over <paramref name="graph"/> whose names start with <paramref name="prefix"/>.</summary>
    public GraphEmitter(IGraphWriter graph, string prefix)
    {
        Graph = graph;
        _prefix = prefix;
    }

    /// <summary>The graph written to.</summary>
    public IGraphWriter Graph { get; }

    /// <summary>The default-domain opset of the graph.</summary>
    public long Opset => Graph.Opset;

    /// <summary>Appends a one-output node and returns its output name.</summary>
    public string Emit(string opType, IEnumerable<string> inputs, params OpAttribute[] attributes) => EmitMany(opType, inputs, 1, attributes)[0];

    /// <summary>Appends a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] EmitMany(string opType, IEnumerable<string> inputs, int outputs, params OpAttribute[] attributes)
    {
        string stem = $"{_prefix}/{opType}";
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Graph.UniqueName(stem);
        Graph.AddNode(opType, [.. inputs], names, Graph.UniqueName(stem + "_node"), attributes);
        return names;
    }

    /// <summary>A float scalar constant (shared between uses of the same value).</summary>
    public string Scalar(float value) => Constant("f" + value.ToString("R", CultureInfo.InvariantCulture), name => Graph.AddFloats(name, [], [value]));

    /// <summary>A 1-D int64 constant.</summary>
    public string Ints(params long[] values) =>
        Constant("i" + string.Join(",", values), name => Graph.AddInts(name, [values.Length], values));

    /// <summary>A float constant of the given shape.</summary>
    public string Floats(long[] dims, float[] values) =>
        Constant("F" + string.Join(",", dims) + ":" + string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            name => Graph.AddFloats(name, dims, values));

    private string Constant(string key, Action<string> add)
    {
        if (_constants.TryGetValue(key, out var name)) return name;
        name = Graph.UniqueName($"{_prefix}/const");
        add(name);
        _constants[key] = name;
        return name;
    }

    /// <summary>The shape of <paramref name="x"/> at run time (int64 1-D; one Shape node per value, shared).</summary>
    public string Shape(string x)
    {
        if (!_shapes.TryGetValue(x, out var shape)) _shapes[x] = shape = Emit(OpTypes.Shape, [x]);
        return shape;
    }

    /// <summary>Dims <paramref name="start"/> up to (not including) <paramref name="end"/> of the shape of <paramref name="x"/>; negative counts from the end; null end = to the last.</summary>
    public string ShapeSlice(string x, long start, long? end = null) =>
        end is long e
            ? Emit(OpTypes.Shape, [x], OnnxAttribute.Int("start", start), OnnxAttribute.Int("end", e))
            : Emit(OpTypes.Shape, [x], OnnxAttribute.Int("start", start));

    /// <summary>The element count of <paramref name="x"/> as a float scalar.</summary>
    public string SizeAsFloat(string x) => Emit(OpTypes.Cast, [Emit(OpTypes.Size, [x])], OnnxAttribute.Int("to", 1));

    /// <summary>Transposes with <paramref name="perm"/>.</summary>
    public string Transpose(string x, IEnumerable<long> perm) => Emit(OpTypes.Transpose, [x], OnnxAttribute.Ints("perm", perm));

    /// <summary>Reshapes to a run-time shape tensor.</summary>
    public string Reshape(string x, string shape) => Emit(OpTypes.Reshape, [x, shape]);

    /// <summary>Reshapes to the shape of <paramref name="like"/>.</summary>
    public string ReshapeLike(string x, string like) => Reshape(x, Shape(like));

    /// <summary>Flattens to 1-D.</summary>
    public string Flatten1D(string x) => Reshape(x, Ints(-1));

    /// <summary>Elementwise ops.</summary>
    public string Mul(string a, string b) => Emit(OpTypes.Mul, [a, b]);

    /// <summary>a − b.</summary>
    public string Sub(string a, string b) => Emit(OpTypes.Sub, [a, b]);

    /// <summary>a + b.</summary>
    public string Add(string a, string b) => Emit(OpTypes.Add, [a, b]);

    /// <summary>a / b.</summary>
    public string Div(string a, string b) => Emit(OpTypes.Div, [a, b]);

    /// <summary>−a.</summary>
    public string Neg(string a) => Emit(OpTypes.Neg, [a]);

    /// <summary>Sum over <paramref name="axes"/> (all when null), as ReduceSum-13 (axes as an input).</summary>
    public string ReduceSum(string x, IReadOnlyList<long>? axes, bool keepDims) =>
        axes is null
            ? Emit(OpTypes.ReduceSum, [x], OnnxAttribute.Int("keepdims", keepDims ? 1 : 0))
            : Emit(OpTypes.ReduceSum, [x, Ints([.. axes])], OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Mean over <paramref name="axes"/> (all when null); axes as an attribute before opset 18, an input from it on.</summary>
    public string ReduceMean(string x, IReadOnlyList<long>? axes, bool keepDims)
    {
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        if (axes is null) return Emit(OpTypes.ReduceMean, [x], keep);
        return Opset >= 18
            ? Emit(OpTypes.ReduceMean, [x, Ints([.. axes])], keep)
            : Emit(OpTypes.ReduceMean, [x], keep, OnnxAttribute.Ints("axes", axes));
    }

    /// <summary>Inserts axes of size 1 (Unsqueeze-13: axes as an input).</summary>
    public string Unsqueeze(string x, IReadOnlyList<long> axes) => Emit(OpTypes.Unsqueeze, [x, Ints([.. axes])]);

    /// <summary>Zeros of the shape of <paramref name="like"/> (float).</summary>
    public string ZerosLike(string like) => Emit(OpTypes.ConstantOfShape, [Shape(like)], new OpAttribute("value", FloatTensor: [0f]));

    /// <summary>
    /// Undoes broadcasting: sums <paramref name="gradient"/> (the gradient of an elementwise op's output) over the axes
    /// along which <paramref name="input"/> was broadcast, and reshapes it to the input's shape. Computed at run time:
    /// the input's shape is padded with leading ones to the gradient's rank, the axes where the two differ are summed
    /// (ReduceSum with noop_with_empty_axes, so nothing is summed where nothing was broadcast).
    /// </summary>
    public string ReduceToShapeOf(string gradient, string input)
    {
        string gradShape = Shape(gradient);
        string inputShape = Shape(input);
        string missing = Emit(OpTypes.Sub, [Emit(OpTypes.Size, [gradShape]), Emit(OpTypes.Size, [inputShape])]);
        string pads = Emit(OpTypes.Concat, [Unsqueeze(missing, [0]), Ints(0)], OnnxAttribute.Int("axis", 0));
        string padded = Emit(OpTypes.Pad, [inputShape, pads, IntScalar(1)]);
        string differs = Emit(OpTypes.Not, [Emit(OpTypes.Equal, [padded, gradShape])]);
        string axes = Reshape(Emit(OpTypes.NonZero, [differs]), Ints(-1));
        string summed = Emit(OpTypes.ReduceSum, [gradient, axes], OnnxAttribute.Int("keepdims", 1), OnnxAttribute.Int("noop_with_empty_axes", 1));
        return Reshape(summed, inputShape);
    }

    /// <summary>A rank-0 int64 constant.</summary>
    public string IntScalar(long value) => Constant("s" + value, name => Graph.AddInts(name, [], [value]));

    /// <summary>
    /// The flat position of every element of <paramref name="like"/>, shaped like it (int64): a forward indexing op applied to
    /// it says which input element each output element came from, so its adjoint is a scatter-add to those positions.
    /// </summary>
    public string IndexGrid(string like) =>
        Reshape(Emit(OpTypes.Range, [IntScalar(0), Emit(OpTypes.Size, [like]), IntScalar(1)]), Shape(like));

    /// <summary>
    /// Adds <paramref name="values"/> into a zero tensor shaped like <paramref name="like"/> at the flat positions
    /// <paramref name="flatPositions"/> (same shape as the values; repeated positions accumulate).
    /// </summary>
    public string ScatterAddLike(string like, string flatPositions, string values)
    {
        string zeros = Flatten1D(ZerosLike(like));
        string scattered = Emit(OpTypes.ScatterElements, [zeros, Flatten1D(flatPositions), Flatten1D(values)],
            OnnxAttribute.Int("axis", 0), OnnxAttribute.String("reduction", "add"));
        return ReshapeLike(scattered, like);
    }
}
