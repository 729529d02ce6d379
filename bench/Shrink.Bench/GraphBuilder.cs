using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Model;

namespace Shrink.Bench;

/// <summary>
/// Builds a model through Shrink's graph IR: nodes with attributes, random float weights, small constants,
/// declared inputs and outputs. Value names are made unique by a running counter.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly WeightFiller _rng;
    private const string Placeholder = "__graph_builder_placeholder";

    private int _counter;

    public GraphBuilder(string graphName, long opset, ulong seed)
    {
        var proto = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Shrink.Bench",
            ProducerVersion = "1",
            Graph = new GraphProto { Name = graphName },
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        // The loader refuses a graph without outputs: a pass-through placeholder stands in until Finish removes it.
        var placeholder = new ValueInfo(Placeholder, ElementType.Float, []).ToProto();
        proto.Graph.Input.Add(placeholder);
        proto.Graph.Output.Add(placeholder.Clone());
        Model = OnnxModel.FromProto(proto, graphName);
        _rng = new WeightFiller(seed);
    }

    /// <summary>The model being built.</summary>
    public OnnxModel Model { get; }

    private ModelGraph Graph => Model.Graph;

    /// <summary>A fresh value name derived from <paramref name="stem"/>.</summary>
    public string Fresh(string stem) => $"{stem}_{_counter++}";

    /// <summary>Adds a node with one output named from <paramref name="stem"/> (or exactly <paramref name="output"/>); returns the output name.</summary>
    public string Op(string opType, string stem, IEnumerable<string> inputs, IEnumerable<AttributeProto>? attributes = null, string? output = null)
    {
        string name = output ?? Fresh(stem);
        var node = Graph.AddNode(opType, inputs, [name], name: $"{opType}_{name}");
        if (attributes is not null)
            foreach (var a in attributes) node.Proto.Attribute.Add(a);
        return name;
    }

    /// <summary>A float initializer with uniform random values in [-scale, scale).</summary>
    public string RandomWeight(string stem, long[] dims, float scale)
    {
        // Filled in place as raw bytes and wrapped without a copy: generating 110M weights touches 440 MB once, not twice.
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)(ElementCount(dims) * sizeof(float))));
        _rng.FillUniform(MemoryMarshal.Cast<byte, float>(bytes.AsSpan()), scale);
        var proto = new TensorProto { Name = Fresh(stem), DataType = (int)ElementType.Float, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        proto.Dims.AddRange(dims);
        Graph.SetInitializer(new TensorData(proto));
        return proto.Name;
    }

    /// <summary>A float initializer filled with one value (LayerNorm gamma = 1, biases = 0).</summary>
    public string FilledWeight(string stem, long[] dims, float value)
    {
        var values = new float[ElementCount(dims)];
        Array.Fill(values, value);
        return AddFloat(stem, dims, values);
    }

    /// <summary>A scalar float constant (rank 0, not counted as a parameter).</summary>
    public string FloatScalar(string stem, float value) => AddFloat(stem, [], [value]);

    /// <summary>An int64 initializer (shapes, axes, indices).</summary>
    public string Int64s(string stem, long[] dims, long[] values)
    {
        string name = Fresh(stem);
        Graph.SetInitializer(TensorData.Create<long>(name, dims, values, ElementType.Int64));
        return name;
    }

    /// <summary>Declares a graph input.</summary>
    public void Input(string name, ElementType type, params Dimension[] shape) =>
        Graph.Proto.Input.Add(new ValueInfo(name, type, shape).ToProto());

    /// <summary>Declares a graph output.</summary>
    public void Output(string name, ElementType type, params Dimension[] shape) =>
        Graph.Proto.Output.Add(new ValueInfo(name, type, shape).ToProto());

    /// <summary>Writes the IR back into the protobuf and checks the result like a loaded file.</summary>
    public OnnxModel Finish()
    {
        Graph.SyncToProto();
        foreach (var list in new[] { Model.Proto.Graph.Input, Model.Proto.Graph.Output })
            for (int i = list.Count - 1; i >= 0; i--)
                if (list[i].Name == Placeholder) list.RemoveAt(i);
        return OnnxModel.FromProto(Model.Proto, Graph.Name);
    }

    private string AddFloat(string stem, long[] dims, float[] values)
    {
        string name = Fresh(stem);
        Graph.SetInitializer(TensorData.FromFloats(name, dims, values));
        return name;
    }

    private static long ElementCount(long[] dims)
    {
        long n = 1;
        foreach (long d in dims) n *= d;
        return n;
    }

    public static Dimension Fixed(long value) => new(value, null);

    /// <summary>input [batch, width] → (MatMul width×width → Relu) × layers → output, random weights.</summary>
    public static OnnxModel Mlp(int layers, int width)
    {
        var b = new GraphBuilder("mlp", 13, 7);
        b.Input("input", ElementType.Float, Symbol("batch"), Fixed(width));
        string x = "input";
        for (int i = 0; i < layers; i++)
        {
            x = b.Op("MatMul", "mm", [x, b.RandomWeight("w", [width, width], 1f / MathF.Sqrt(width))]);
            x = b.Op("Relu", "relu", [x], output: i == layers - 1 ? "output" : null);
        }
        b.Output("output", ElementType.Float, Symbol("batch"), Fixed(width));
        return b.Finish();
    }

    public static Dimension Symbol(string name) => new(null, name);

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
