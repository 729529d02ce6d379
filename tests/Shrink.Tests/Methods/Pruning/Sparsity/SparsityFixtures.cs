using Onnx;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Model;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

/// <summary>Tiny models with one layer of each weight layout, and helpers to read their weights as [N × K].</summary>
internal static class SparsityFixtures
{
    // input [batch, 4, 6, 6] → Conv 4→8 3×3 pad 1 (K = 36) → Relu → Flatten → Gemm transB=1 288→24 → Relu
    // → Gemm transB=0 24→16 → Relu → MatMul [16, 12] → output [batch, 12]
    public static OnnxModel Mixed(float firstLayerScale = 1f)
    {
        var graph = new GraphProto { Name = "mixed" };
        graph.Input.Add(FloatInfo("input", "batch", 4, 6, 6));
        graph.Output.Add(FloatInfo("output", "batch", 12));
        graph.Initializer.Add(FloatTensor("Wc", [8, 4, 3, 3], RandomFloats(8 * 36, 1).Select(v => v * firstLayerScale).ToArray()));
        graph.Initializer.Add(FloatTensor("Bc", [8], RandomFloats(8, 2)));
        graph.Initializer.Add(FloatTensor("W1", [24, 288], RandomFloats(24 * 288, 3).Select(v => v * 0.1f).ToArray()));
        graph.Initializer.Add(FloatTensor("B1", [24], RandomFloats(24, 4)));
        graph.Initializer.Add(FloatTensor("W2", [24, 16], RandomFloats(24 * 16, 5)));
        graph.Initializer.Add(FloatTensor("B2", [16], RandomFloats(16, 6)));
        graph.Initializer.Add(FloatTensor("W3", [16, 12], RandomFloats(16 * 12, 7)));
        var conv = Node("Conv", ["input", "Wc", "Bc"], ["c"], "conv");
        conv.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        graph.Node.Add(conv);
        graph.Node.Add(Node("Relu", ["c"], ["cr"], "relu0"));
        graph.Node.Add(Node("Flatten", ["cr"], ["f"], "flatten"));
        var g1 = Node("Gemm", ["f", "W1", "B1"], ["h1"], "gemm_t");
        g1.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(g1);
        graph.Node.Add(Node("Relu", ["h1"], ["a1"], "relu1"));
        graph.Node.Add(Node("Gemm", ["a1", "W2", "B2"], ["h2"], "gemm_n"));
        graph.Node.Add(Node("Relu", ["h2"], ["a2"], "relu2"));
        graph.Node.Add(Node("MatMul", ["a2", "W3"], ["output"], "matmul"));
        return OnnxModel.FromProto(BuildModel(graph), "mixed");
    }

    public static readonly long[] InputDims = [8, 4, 6, 6];

    public static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 4 }, inputs);

    /// <summary>The [N × K] weight of node <paramref name="name"/>.</summary>
    public static (float[] W, int Rows, int Cols) Matrix(OnnxModel model, string name)
    {
        var node = model.Graph.Nodes.Single(n => n.Name == name);
        var layer = WeightLayer.TryCreate(node, model.Graph, out var reason) ?? throw new InvalidOperationException(reason);
        return (layer.ReadMatrix(model.Graph), layer.Rows, layer.Cols);
    }

    public static readonly string[] LayerNames = ["conv", "gemm_t", "gemm_n", "matmul"];
}
