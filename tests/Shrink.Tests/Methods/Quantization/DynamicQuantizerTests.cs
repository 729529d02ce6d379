using Onnx;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

public class DynamicQuantizerTests
{
    [Fact]
    public void MatMul_and_Gemm_become_DynamicQuantizeMatMul_with_close_outputs()
    {
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 4));
        g.Initializer.Add(TinyModels.FloatTensor("w1", [16, 32], TinyModels.RandomFloats(512, 1)));
        g.Initializer.Add(TinyModels.FloatTensor("w2", [4, 32], TinyModels.RandomFloats(128, 2)));
        g.Initializer.Add(TinyModels.FloatTensor("b2", [4], TinyModels.RandomFloats(4, 3)));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "w1"], ["h"], "mm"));
        g.Node.Add(TinyModels.Node("Relu", ["h"], ["r"], "relu"));
        var gemm = TinyModels.Node("Gemm", ["r", "w2", "b2"], ["y"], "gemm");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(gemm);
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g));

        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model);
        Assert.Equal(1, result.QuantizedByOp["MatMul"]);
        Assert.Equal(1, result.QuantizedByOp["Gemm"]);
        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Domain == "com.microsoft"));
        Assert.Equal(2, result.Fusion!.IntegerKernels);

        var x = TinyModels.FloatTensor("x", [8, 16], TinyModels.RandomFloats(128, 9));
        var reference = OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = x })[0];
        var actual = OrtRunner.RunOnce(result.Model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = x })[0];
        var r = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(reference.Bytes).ToArray();
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual.Bytes).ToArray();
        double signal = r.Sum(v => (double)v * v), noise = r.Zip(a).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second));
        Assert.True(10 * Math.Log10(signal / noise) > 25, $"SQNR {10 * Math.Log10(signal / noise):F1} dB");
    }

    [Fact]
    public void A_MatMul_bias_Add_goes_into_the_kernel_and_a_shared_product_keeps_its_Add()
    {
        // x → MatMul w1 → Add b1 (the product's only reader: fused) → MatMul w2 → h2; h2 → Add b2 and → Relu (two readers: kept).
        var g = new GraphProto { Name = "bias" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 5, 16));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 5, 8));
        g.Output.Add(TinyModels.FloatInfo("z", "batch", 5, 8));
        g.Initializer.Add(TinyModels.FloatTensor("w1", [16, 32], TinyModels.RandomFloats(512, 1)));
        g.Initializer.Add(TinyModels.FloatTensor("b1", [32], TinyModels.RandomFloats(32, 2)));
        g.Initializer.Add(TinyModels.FloatTensor("w2", [32, 8], TinyModels.RandomFloats(256, 3)));
        g.Initializer.Add(TinyModels.FloatTensor("b2", [8], TinyModels.RandomFloats(8, 4)));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "w1"], ["h1"], "mm1"));
        g.Node.Add(TinyModels.Node("Add", ["b1", "h1"], ["a1"], "bias1"));
        g.Node.Add(TinyModels.Node("MatMul", ["a1", "w2"], ["h2"], "mm2"));
        g.Node.Add(TinyModels.Node("Add", ["h2", "b2"], ["y"], "bias2"));
        g.Node.Add(TinyModels.Node("Relu", ["h2"], ["z"], "relu"));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(g));

        var result = new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model);
        var kernels = result.Model.Graph.Nodes.Where(n => n.OpType == "DynamicQuantizeMatMul").ToList();
        Assert.Equal(2, kernels.Count);
        Assert.Equal("b1", kernels[0].Inputs[4]);
        Assert.Equal("a1", kernels[0].Outputs[0]);
        Assert.Equal(4, kernels[1].Inputs.Count);
        Assert.Equal(["bias2"], result.Model.Graph.Nodes.Where(n => n.OpType == "Add").Select(n => n.Name));

        var x = TinyModels.FloatTensor("x", [3, 5, 16], TinyModels.RandomFloats(240, 9));
        var reference = OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = x });
        var actual = OrtRunner.RunOnce(result.Model.ToByteArray(), new Dictionary<string, TensorProto> { ["x"] = x });
        for (int o = 0; o < 2; o++)
        {
            var r = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(reference[o].Bytes).ToArray();
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual[o].Bytes).ToArray();
            double signal = r.Sum(v => (double)v * v), noise = r.Zip(a).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second));
            Assert.True(10 * Math.Log10(signal / noise) > 25, $"output {o}: SQNR {10 * Math.Log10(signal / noise):F1} dB");
        }
    }
}
