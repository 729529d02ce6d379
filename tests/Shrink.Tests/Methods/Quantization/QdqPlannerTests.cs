using Onnx;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Validation;

namespace Shrink.Tests.Methods.Quantization;

public class QdqPlannerTests
{
    /// <summary>input → Conv(+bias) → Relu → MaxPool → Flatten → Gemm(transB) → logits, plus a Softmax head.</summary>
    private static OnnxModel ConvNet(int inChannels = 2)
    {
        var g = new GraphProto { Name = "convnet" };
        g.Input.Add(TinyModels.FloatInfo("input", "batch", inChannels, 6, 6));
        g.Output.Add(TinyModels.FloatInfo("logits", "batch", 3));
        g.Output.Add(TinyModels.FloatInfo("probs", "batch", 3));
        g.Initializer.Add(TinyModels.FloatTensor("w", [4, inChannels, 3, 3], TinyModels.RandomFloats(36 * inChannels, 1)));
        g.Initializer.Add(TinyModels.FloatTensor("b", [4], TinyModels.RandomFloats(4, 2)));
        g.Initializer.Add(TinyModels.FloatTensor("fc", [3, 16], TinyModels.RandomFloats(48, 3)));
        g.Initializer.Add(TinyModels.FloatTensor("fcb", [3], TinyModels.RandomFloats(3, 4)));
        g.Node.Add(TinyModels.Node("Conv", ["input", "w", "b"], ["conv"], "conv"));
        g.Node.Add(TinyModels.Node("Relu", ["conv"], ["relu"], "relu"));
        var pool = TinyModels.Node("MaxPool", ["relu"], ["pool"], "pool");
        pool.Attribute.Add(new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
        pool.Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
        g.Node.Add(pool);
        g.Node.Add(TinyModels.Node("Flatten", ["pool"], ["flat"], "flatten"));
        var gemm = TinyModels.Node("Gemm", ["flat", "fc", "fcb"], ["logits"], "fc");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(gemm);
        g.Node.Add(TinyModels.Node("Softmax", ["logits"], ["probs"], "softmax"));
        return OnnxModel.FromProto(TinyModels.BuildModel(g));
    }

    [Fact]
    public void Marks_weights_biases_shared_scales_and_folds_relu()
    {
        var model = ConvNet();
        var plan = new QdqPlanner(QdqOpRegistry.Default).Plan(model.Graph, new StaticQuantizationOptions());
        Assert.Equal(["conv", "pool", "flatten", "fc"], plan.Quantized.Select(n => n.Name));
        var folded = Assert.Single(plan.Folded);
        Assert.Equal("relu", folded.Activation.Name);
        Assert.Equal(["input", "relu"], plan.CalibratedTensors);
        Assert.Equal("relu", plan.ParamsSource("flat")); // Flatten shares MaxPool's, which shares the Relu's
        Assert.Equal(2, plan.Weights.Count);
        Assert.Equal(0, plan.Weights[1].Axis); // Gemm with transB: output channels on axis 0
        Assert.Equal(2, plan.Biases.Count);
        Assert.False(plan.IsMarked("logits")); // graph outputs stay float
        Assert.Contains(plan.LeftInFloat, f => f.Node.Name == "softmax" && f.Reason.Contains("fragile", StringComparison.Ordinal));
    }

    [Fact]
    public void Excluded_nodes_and_symmetric_activations_change_the_plan()
    {
        var model = ConvNet();
        var options = new StaticQuantizationOptions { ExcludeNodes = new HashSet<string> { "fc" }, SymmetricActivations = true };
        var plan = new QdqPlanner(QdqOpRegistry.Default).Plan(model.Graph, options);
        Assert.Contains(plan.LeftInFloat, f => f.Node.Name == "fc" && f.Reason == "excluded by the user");
        Assert.Empty(plan.Folded); // a symmetric zero point cannot clip like Relu
        Assert.Contains("conv", plan.CalibratedTensors);
    }

    [Fact]
    public void A_one_channel_first_conv_stays_float_and_its_relu_moves_after_the_pool()
    {
        var model = ConvNet(inChannels: 1);
        var plan = new QdqPlanner(QdqOpRegistry.Default).Plan(model.Graph, new StaticQuantizationOptions());
        Assert.Contains(plan.LeftInFloat, f => f.Node.Name == "conv" && f.Reason.Contains("reduction of 9", StringComparison.Ordinal));
        var swap = Assert.Single(plan.ReluPoolSwaps);
        Assert.Equal(("relu", "pool"), (swap.Relu.Name, swap.Pool.Name));
        // The int8 boundary sits after the pool (Flatten of float data stays float too).
        Assert.Equal(["flat"], plan.CalibratedTensors);
        Assert.Equal(["fc"], plan.Quantized.Select(n => n.Name));
    }

    [Fact]
    public void Already_quantized_models_are_refused()
    {
        var model = ConvNet();
        model.Graph.AddNode("QuantizeLinear", ["logits", "s", "z"], ["q"], "q1");
        var e = Assert.Throws<ShrinkException>(() => AlreadyQuantized.Refuse(model, "m.onnx"));
        Assert.Contains("already quantized", e.Message);
        Assert.Contains("q1", e.Message);
    }
}
