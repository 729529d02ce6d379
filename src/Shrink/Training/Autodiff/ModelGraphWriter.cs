using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>The <see cref="IGraphWriter"/> of a <see cref="ModelGraph"/>: what backward rules and losses write with.</summary>
internal sealed class ModelGraphWriter(ModelGraph graph, long opset) : IGraphWriter
{
    public long Opset => opset;

    public string UniqueName(string stem) => graph.UniqueName(stem);

    public void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string name, IReadOnlyList<OpAttribute> attributes)
    {
        var node = graph.AddNode(opType, inputs, outputs, name);
        foreach (var a in attributes)
        {
            if (a.Int is long i) node.SetInt(a.Name, i);
            else if (a.Ints is { } ints) node.SetInts(a.Name, ints);
            else if (a.Float is float f) node.SetFloat(a.Name, f);
            else if (a.Text is { } text) node.SetString(a.Name, text);
            else if (a.FloatTensor is { } values) node.SetFloatTensor(a.Name, [values.Length], values);
        }
    }

    public void AddFloats(string name, long[] dims, float[] values) => graph.SetInitializer(TensorData.FromFloats(name, dims, values));

    public void AddInts(string name, long[] dims, long[] values) => graph.SetInitializer(TensorData.Create<long>(name, dims, values, ElementType.Int64));

    public long[]? ConstantInts(string value) => Constant(value) switch
    {
        { Type: ElementType.Int64 } t => t.AsSpan<long>().ToArray(),
        { Type: ElementType.Int32 } t => t.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
        _ => null,
    };

    public float[]? ConstantFloats(string value) => Constant(value) is { Type: ElementType.Float or ElementType.Double } t ? t.ToFloatArray() : null;

    private TensorData? Constant(string value) => graph.FindConstant(value);
}
