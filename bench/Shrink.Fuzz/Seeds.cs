using System.Globalization;
using Google.Protobuf;
using Onnx;

namespace Shrink.Fuzz;

/// <summary>Tiny well-formed models (MatMul, Conv with BatchNormalization, external data) to start the fuzzer from.</summary>
internal static class Seeds
{
    public const string ExternalFile = "weights.bin";

    public static byte[] ExternalBytes() => Floats(Enumerable.Range(0, 256).Select(i => (i % 17 - 8) / 8f).ToArray());

    public static int Write(string folder, string[] models)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "matmul.onnx"), MatMul().ToByteArray());
        File.WriteAllBytes(Path.Combine(folder, "conv_bn.onnx"), ConvBn(external: false).ToByteArray());
        File.WriteAllBytes(Path.Combine(folder, "conv_external.onnx"), ConvBn(external: true).ToByteArray());
        foreach (var model in models)
        {
            // afl++ refuses seeds over 1 MB: a large model seeds with its head (graph structure and the first weights).
            var bytes = File.ReadAllBytes(model);
            File.WriteAllBytes(Path.Combine(folder, Path.GetFileNameWithoutExtension(model) + "_head.onnx"), bytes[..Math.Min(bytes.Length, 512 * 1024)]);
        }
        Console.WriteLine($"wrote {Directory.GetFiles(folder).Length} seeds to {folder}");
        return 0;
    }

    private static byte[] Floats(float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(Floats(values)) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static float[] Values(int count, int seed) => Enumerable.Range(0, count).Select(i => (float)Math.Sin(i * 0.7 + seed)).ToArray();

    private static ValueInfoProto Info(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = output + "_" + op.ToLowerInvariant() };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static ModelProto BuildModel(GraphProto graph)
    {
        var m = new ModelProto { IrVersion = 7, ProducerName = "shrink-fuzz", Graph = graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m;
    }

    private static ModelProto MatMul()
    {
        var g = new GraphProto { Name = "matmul" };
        g.Input.Add(Info("input", "batch", 4));
        g.Output.Add(Info("output", "batch", 3));
        g.Initializer.Add(Tensor("W", [4, 3], Values(12, 1)));
        g.Initializer.Add(Tensor("b", [3], Values(3, 2)));
        g.Node.Add(Node("MatMul", ["input", "W"], "mm"));
        g.Node.Add(Node("Relu", ["mm"], "act"));
        g.Node.Add(Node("Add", ["act", "b"], "output"));
        return BuildModel(g);
    }

    private static ModelProto ConvBn(bool external)
    {
        var g = new GraphProto { Name = "conv" };
        g.Input.Add(Info("input", "batch", 2, 6, 6));
        g.Output.Add(Info("output", "batch", 3, 6, 6));
        var w = Tensor("c1_W", [4, 2, 3, 3], Values(72, 3));
        if (external)
        {
            w.RawData = ByteString.Empty;
            w.DataLocation = TensorProto.Types.DataLocation.External;
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = ExternalFile });
            w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "64" });
            w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (72 * 4).ToString(CultureInfo.InvariantCulture) });
        }
        g.Initializer.Add(w);
        g.Initializer.Add(Tensor("c1_B", [4], Values(4, 4)));
        foreach (var (name, seed) in new[] { ("bn_scale", 5), ("bn_bias", 6), ("bn_mean", 7) }) g.Initializer.Add(Tensor(name, [4], Values(4, seed)));
        g.Initializer.Add(Tensor("bn_var", [4], [0.5f, 1f, 1.5f, 2f]));
        g.Initializer.Add(Tensor("c2_W", [3, 4, 1, 1], Values(12, 8)));
        var kernel = new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints };
        kernel.Ints.AddRange([3, 3]);
        var pads = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
        pads.Ints.AddRange([1, 1, 1, 1]);
        g.Node.Add(Node("Conv", ["input", "c1_W", "c1_B"], "c1", kernel, pads));
        g.Node.Add(Node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], "bn"));
        g.Node.Add(Node("Relu", ["bn"], "r1"));
        g.Node.Add(Node("Conv", ["r1", "c2_W"], "output"));
        return BuildModel(g);
    }
}
