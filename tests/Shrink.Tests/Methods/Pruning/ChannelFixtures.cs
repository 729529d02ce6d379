using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>Tiny conv networks built in code for the channel-pruning tests; input [batch,2,6,6].</summary>
internal sealed class ChannelFixtures
{
    private readonly GraphProto _graph = new() { Name = "channels" };
    private int _seed = 10;

    public ChannelFixtures() => _graph.Input.Add(TinyModels.FloatInfo("input", "batch", 2, 6, 6));

    /// <summary>Adds a Conv (3×3, pad 1 unless <paramref name="kernel"/> is 1) with random weights and bias; zeroes the filters in <paramref name="zeroFilters"/>.</summary>
    public string Conv(string input, string output, int inChannels, int outChannels, int kernel = 3, int group = 1, int[]? zeroFilters = null)
    {
        int perGroup = inChannels / group;
        var w = TinyModels.RandomFloats(outChannels * perGroup * kernel * kernel, _seed++);
        var b = TinyModels.RandomFloats(outChannels, _seed++);
        foreach (int f in zeroFilters ?? [])
        {
            Array.Clear(w, f * perGroup * kernel * kernel, perGroup * kernel * kernel);
            b[f] = 0;
        }
        _graph.Initializer.Add(TinyModels.FloatTensor(output + "_W", [outChannels, perGroup, kernel, kernel], w));
        _graph.Initializer.Add(TinyModels.FloatTensor(output + "_B", [outChannels], b));
        var node = TinyModels.Node("Conv", [input, output + "_W", output + "_B"], [output], output + "_conv");
        node.Attribute.Add(Ints("kernel_shape", kernel, kernel));
        int pad = kernel / 2;
        node.Attribute.Add(Ints("pads", pad, pad, pad, pad));
        if (group != 1) node.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = group });
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a Gemm (transB) with random weights; zeroes the output rows in <paramref name="zeroRows"/>.</summary>
    public string Gemm(string input, string output, int inFeatures, int outFeatures, int[]? zeroRows = null)
    {
        var w = TinyModels.RandomFloats(outFeatures * inFeatures, _seed++);
        var b = TinyModels.RandomFloats(outFeatures, _seed++);
        foreach (int r in zeroRows ?? [])
        {
            Array.Clear(w, r * inFeatures, inFeatures);
            b[r] = 0;
        }
        _graph.Initializer.Add(TinyModels.FloatTensor(output + "_W", [outFeatures, inFeatures], w));
        _graph.Initializer.Add(TinyModels.FloatTensor(output + "_B", [outFeatures], b));
        var node = TinyModels.Node("Gemm", [input, output + "_W", output + "_B"], [output], output + "_gemm");
        node.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a float initializer.</summary>
    public void Initializer(string name, long[] dims, float[] values) => _graph.Initializer.Add(TinyModels.FloatTensor(name, dims, values));

    /// <summary>Adds an int64 initializer (a Reshape shape).</summary>
    public void Int64Initializer(string name, long[] values) =>
        _graph.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], [.. values.SelectMany(BitConverter.GetBytes)]));

    /// <summary>Adds any node.</summary>
    public string Op(string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = TinyModels.Node(opType, inputs, [output], output + "_" + opType.ToLowerInvariant());
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>The model with <paramref name="output"/> as its graph output of the given dims.</summary>
    public ModelProto Build(string output, params object[] dims)
    {
        _graph.Output.Add(TinyModels.FloatInfo(output, dims));
        return TinyModels.BuildModel(_graph);
    }
}
