using Onnx;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Tests.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Qdq;

/// <summary>
/// DequantizeLinear · DequantizeLinear → MatMul → Add(bias) written as one MatMulIntegerToFloat with the bias: the same
/// outputs in ONNX Runtime; MatMuls the op cannot take (no bias, a scale per weight row) stay in QDQ form.
/// </summary>
public sealed class MatMulBiasFusionTests
{
    private const int UInt8 = (int)TensorProto.Types.DataType.Uint8;
    private const int Int8 = (int)TensorProto.Types.DataType.Int8;

    // x [2, 3, 4] → Q/DQ (uint8) → three MatMuls with int8 [4, 5] weights: one per-column with a bias (fused), one with a
    // bias but a scale per row (axis 0: not the op's layout), one without a bias (ORT fuses it alone).
    private static OnnxModel Model()
    {
        var graph = new GraphProto { Name = "qdq_matmuls" };
        graph.Input.Add(TinyModels.FloatInfo("x", 2, 3, 4));
        foreach (var y in new[] { "y_fused", "y_rows", "y_plain" }) graph.Output.Add(TinyModels.FloatInfo(y, 2, 3, 5));
        graph.Initializer.Add(TinyModels.FloatTensor("x_scale", [], [0.01f]));
        graph.Initializer.Add(TinyModels.RawTensor("x_zero", UInt8, [], [128]));
        graph.Node.Add(TinyModels.Node(OpTypes.QuantizeLinear, ["x", "x_scale", "x_zero"], ["x_q"], "x_Q"));
        graph.Node.Add(TinyModels.Node(OpTypes.DequantizeLinear, ["x_q", "x_scale", "x_zero"], ["x_dq"], "x_DQ"));
        var codes = TinyModels.RandomFloats(20, 5).Select(v => (byte)(sbyte)Math.Round(v * 100)).ToArray();
        var bias = TinyModels.RandomFloats(5, 6);
        foreach (var (name, axis, scales) in new[] { ("fused", 1L, 5), ("rows", 0L, 4), ("plain", 1L, 5) })
        {
            graph.Initializer.Add(TinyModels.RawTensor($"w_{name}", Int8, [4, 5], codes));
            graph.Initializer.Add(TinyModels.FloatTensor($"w_{name}_scale", [scales], [.. Enumerable.Range(1, scales).Select(i => 0.002f * i)]));
            graph.Initializer.Add(TinyModels.RawTensor($"w_{name}_zero", Int8, [scales], new byte[scales]));
            graph.Node.Add(PassTestKit.Node(OpTypes.DequantizeLinear, [$"w_{name}", $"w_{name}_scale", $"w_{name}_zero"], [$"w_{name}_dq"], $"w_{name}_DQ", PassTestKit.Int("axis", axis)));
            string product = name == "plain" ? "y_plain" : $"p_{name}";
            graph.Node.Add(TinyModels.Node(OpTypes.MatMul, ["x_dq", $"w_{name}_dq"], [product], $"matmul_{name}"));
            if (name == "plain") continue;
            graph.Initializer.Add(TinyModels.FloatTensor($"b_{name}", [5], bias));
            graph.Node.Add(TinyModels.Node(OpTypes.Add, [$"b_{name}", product], [$"y_{name}"], $"bias_{name}"));
        }
        return PassTestKit.BuildModel(graph, 13);
    }

    [Fact]
    public void Biased_matmul_becomes_one_MatMulIntegerToFloat_with_the_same_outputs()
    {
        var model = Model();
        var x = PassTestKit.RandomInput("x", [2, 3, 4], seed: 9);
        var before = PassTestKit.Run(model, x);

        Assert.Equal(1, MatMulBiasFusion.Apply(model));

        PassTestKit.AssertSameOutputs(before, PassTestKit.Run(model, x), 1e-6);
        var graph = model.Graph;
        var fused = graph.Nodes.Single(n => n.OpType == OpTypes.MatMulIntegerToFloat);
        Assert.Equal(OpDomains.Microsoft, fused.Domain);
        Assert.Equal("matmul_fused", fused.Name);
        Assert.Equal(["x_q", "w_fused", "x_scale", "w_fused_scale", "x_zero", "w_fused_zero", "b_fused"], fused.Inputs);
        Assert.Equal("y_fused", fused.Outputs[0]);
        Assert.DoesNotContain(graph.Nodes, n => n.Name is "bias_fused" or "w_fused_DQ");
        // The activation's DequantizeLinear stays for the MatMuls still in QDQ form.
        Assert.Contains(graph.Nodes, n => n.Name == "x_DQ");
        Assert.Equal(2, graph.Nodes.Count(n => n.OpType == OpTypes.MatMul));
        Assert.Equal(1, model.OpsetVersion(OpDomains.Microsoft));
    }

    [Fact]
    public void Nothing_to_fuse_leaves_the_model_as_it_is()
    {
        var model = Model();
        Assert.Equal(1, MatMulBiasFusion.Apply(model));
        int nodes = model.Graph.Nodes.Count;
        Assert.Equal(0, MatMulBiasFusion.Apply(model));
        Assert.Equal(nodes, model.Graph.Nodes.Count);
    }
}
