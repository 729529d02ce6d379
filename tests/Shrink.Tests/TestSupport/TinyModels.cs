using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Shrink.Tests.TestSupport;

/// <summary>Builds tiny ONNX models in code, so fixtures are readable and need no files.</summary>
internal static class TinyModels
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;

    /// <summary>
    /// <c>input [batch,inFeatures] → MatMul(W) → Relu → Add(b) → output [batch,outFeatures]</c>, opset 13.
    /// With <paramref name="weightsAsConstants"/>, W and b come from Constant nodes (as PyTorch exports them)
    /// instead of initializers.
    /// </summary>
    public static ModelProto MatMulReluAdd(int inFeatures = 4, int outFeatures = 3, bool weightsAsConstants = false, int seed = 1)
    {
        var w = FloatTensor("W", [inFeatures, outFeatures], RandomFloats(inFeatures * outFeatures, seed));
        var b = FloatTensor("b", [outFeatures], RandomFloats(outFeatures, seed + 1));
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(FloatInfo("input", "batch", inFeatures));
        graph.Output.Add(FloatInfo("output", "batch", outFeatures));
        if (weightsAsConstants)
        {
            graph.Node.Add(ConstantNode("W", w, "const_W"));
            graph.Node.Add(ConstantNode("b", b, "const_b"));
        }
        else
        {
            graph.Initializer.Add(w);
            graph.Initializer.Add(b);
        }
        graph.Node.Add(Node("MatMul", ["input", "W"], ["mm"], "matmul"));
        graph.Node.Add(Node("Relu", ["mm"], ["act"], "relu"));
        graph.Node.Add(Node("Add", ["act", "b"], ["output"], "add"));
        graph.ValueInfo.Add(FloatInfo("mm", "batch", outFeatures));
        return BuildModel(graph);
    }

    /// <summary>Wraps a graph in a model with IR version 7 and the default-domain opset 13.</summary>
    public static ModelProto BuildModel(GraphProto graph, long opset = 13, long irVersion = 7)
    {
        var model = new ModelProto { IrVersion = irVersion, ProducerName = "shrink-tests", Graph = graph, DocString = "tiny test model" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "origin", Value = "TinyModels" });
        return model;
    }

    public static NodeProto Node(string opType, string[] inputs, string[] outputs, string name = "")
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    /// <summary>A Constant node whose <c>value</c> attribute is a copy of <paramref name="value"/> (unnamed, as exporters write it).</summary>
    public static NodeProto ConstantNode(string output, TensorProto value, string name = "")
    {
        var t = value.Clone();
        t.Name = "";
        var node = Node("Constant", [], [output], name);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        return node;
    }

    /// <summary>A Constant node with one attribute of any kind.</summary>
    public static NodeProto ConstantNode(string output, AttributeProto attribute, string name = "")
    {
        var node = Node("Constant", [], [output], name);
        node.Attribute.Add(attribute);
        return node;
    }

    /// <summary>A float tensor with its data in raw_data.</summary>
    public static TensorProto FloatTensor(string name, long[] dims, float[] values) =>
        RawTensor(name, Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A tensor of any type from little-endian bytes.</summary>
    public static TensorProto RawTensor(string name, int dataType, long[] dims, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A float tensor value description; each dim is a fixed size (int/long) or a symbol (string).</summary>
    public static ValueInfoProto FloatInfo(string name, params object[] dims) => TensorInfo(name, Float, dims);

    public static ValueInfoProto TensorInfo(string name, int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"Bad dim {d}"),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } },
        };
    }

    /// <summary>Deterministic values in [-1, 1).</summary>
    public static float[] RandomFloats(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>The serialized model.</summary>
    public static byte[] Bytes(ModelProto model) => model.ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> and returns the path.</summary>
    public static string WriteTo(ModelProto model, string path)
    {
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
