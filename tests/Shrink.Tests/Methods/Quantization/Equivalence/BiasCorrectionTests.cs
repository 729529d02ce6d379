using Shrink.Layers;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using static Shrink.Tests.Methods.Quantization.Equivalence.EquivalenceFixtures;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public sealed class BiasCorrectionTests
{
    private static readonly EquivalenceOptions Empirical = new() { BiasCorrection = BiasCorrectionKind.Empirical };
    private static readonly EquivalenceTarget PerTensorInt8 = new(8, PerChannelWeights: false, SymmetricWeights: true, GroupSize: 0, ActivationBits: 8, SymmetricActivations: false);

    /// <summary>The model with its layer's weight replaced by the int8 per-tensor weight the quantizer will write.</summary>
    private static OnnxModel WithQuantizedWeight(OnnxModel model, string node)
    {
        var copy = model.Clone();
        var layer = WeightLayer.TryCreate(copy.Graph.Nodes.Single(n => n.Name == node), copy.Graph, out _)!;
        layer.WriteMatrix(copy.Graph, Int8Weights.Dequantized(layer.ReadMatrix(copy.Graph), layer.Rows, layer.Cols, perChannel: false));
        return copy;
    }

    /// <summary>Mean over the data (and positions) of (a − b) per channel; channels on axis 1.</summary>
    private static double[] MeanError(OnnxModel a, OnnxModel b, Shrink.Data.IDataSource data)
    {
        var (x, shape) = Outputs(a, data);
        var (y, _) = Outputs(b, data);
        int channels = (int)shape[1];
        long inner = 1;
        for (int i = 2; i < shape.Length; i++) inner *= shape[i];
        var sums = new double[channels];
        for (long i = 0; i < x.Length; i++) sums[(int)(i / inner % channels)] += x[i] - y[i];
        long count = x.Length / channels;
        return sums.Select(s => s / count).ToArray();
    }

    [Theory]
    [InlineData("dense", "matmul")]
    [InlineData("conv", "conv")]
    public void Empirical_correction_zeroes_the_mean_output_error_of_the_quantized_layer_on_the_calibration_data(string fixture, string node)
    {
        var model = OnnxModel.FromProto(fixture == "dense" ? AbsMatMul() : AbsConv());
        using var data = CalibrationData(model);
        var before = MeanError(WithQuantizedWeight(model, node), model, data);

        var corrected = model.Clone();
        var result = Apply(corrected, Empirical, PerTensorInt8, data).Single();
        var after = MeanError(WithQuantizedWeight(corrected, node), model, data);

        double largest = before.Max(Math.Abs);
        Assert.True(largest > 1e-3, $"the fixture's quantization error has mean {largest}");
        Assert.True(after.Max(Math.Abs) < largest * 1e-3, $"before {largest}, after {after.Max(Math.Abs)}");
        var row = Assert.Single(result.Layers);
        Assert.True(row.Applied);
        Assert.Equal(largest, row.MaxBefore, 4);
        Assert.StartsWith("empirical: max |shift|", row.Setting);
    }

    [Fact]
    public void A_conv_without_bias_gets_a_bias_input_and_a_matmul_an_add()
    {
        var conv = OnnxModel.FromProto(AbsConv());
        using (var data = CalibrationData(conv)) Apply(conv, Empirical, PerTensorInt8, data);
        Assert.Equal(3, conv.Graph.Nodes.Single(n => n.Name == "conv").Inputs.Count);

        var dense = OnnxModel.FromProto(AbsMatMul());
        using (var data = CalibrationData(dense)) Apply(dense, Empirical, PerTensorInt8, data);
        var add = dense.Graph.Nodes.Single(n => n.OpType == OpTypes.Add);
        Assert.Equal("output", add.Outputs[0]);
        Assert.Equal(dense.Graph.Nodes.Single(n => n.Name == "matmul").Outputs[0], add.Inputs[0]);
    }

    [Fact]
    public void Analytic_correction_without_a_batchnorm_skips_each_layer_and_says_why()
    {
        var model = OnnxModel.FromProto(AbsMatMul());
        var result = Apply(model, new EquivalenceOptions { BiasCorrection = BiasCorrectionKind.Analytic }, PerTensorInt8).Single();

        var row = Assert.Single(result.Layers);
        Assert.False(row.Applied);
        Assert.Contains("no BatchNormalization precedes 'x'", row.Skipped);
        Assert.Contains("Abs 'abs'", row.Skipped);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == OpTypes.Add);
    }

    [Fact]
    public void Analytic_correction_reads_the_folded_batchnorm_from_the_original_model()
    {
        var original = OnnxModel.FromProto(ConvBatchNormReluConv());
        var prepared = original.Clone();
        new FoldBatchNormalization().Apply(prepared);
        Assert.DoesNotContain(prepared.Graph.Nodes, n => n.OpType == OpTypes.BatchNormalization);

        var result = Apply(prepared, new EquivalenceOptions { BiasCorrection = BiasCorrectionKind.Analytic }, PerTensorInt8, original: original).Single();

        var conv2 = result.Layers.Single(l => l.Node == "conv2");
        Assert.True(conv2.Applied, conv2.Skipped);
        Assert.True(conv2.MaxBefore > 0);
        Assert.Contains("no BatchNormalization precedes 'input'", result.Layers.Single(l => l.Node == "conv1").Skipped);
    }

    [Fact]
    public void The_clipped_normal_mean_matches_its_limits()
    {
        Assert.Equal(0.3989, ClippedNormal.Mean(0, 1, 0, double.PositiveInfinity), 4); // E[relu(N(0,1))] = 1/√(2π)
        Assert.Equal(2.0, ClippedNormal.Mean(2, 1, double.NegativeInfinity, double.PositiveInfinity), 6);
        Assert.Equal(6.0, ClippedNormal.Mean(50, 1, 0, 6), 6);
        Assert.Equal(0.0, ClippedNormal.Mean(-50, 1, 0, 6), 6);
    }

    /// <summary>input [batch,2,4,4] → conv1 (3 channels) → BatchNormalization (β 0.5.., γ 1..) → Relu → conv2 (2 channels, ranges spread) → output.</summary>
    private static Onnx.ModelProto ConvBatchNormReluConv()
    {
        var g = new Onnx.GraphProto { Name = "bn" };
        g.Input.Add(Shrink.Tests.TestSupport.TinyModels.FloatInfo("input", "batch", 2, 4, 4));
        g.Output.Add(Shrink.Tests.TestSupport.TinyModels.FloatInfo("output", "batch", 2, 4, 4));
        g.Initializer.Add(ConvWeight("w1", 3, 2, 1, 41));
        g.Initializer.Add(Shrink.Tests.TestSupport.TinyModels.FloatTensor("gamma", [3], [1f, 0.5f, 2f]));
        g.Initializer.Add(Shrink.Tests.TestSupport.TinyModels.FloatTensor("beta", [3], [0.5f, 1f, -0.2f]));
        g.Initializer.Add(Shrink.Tests.TestSupport.TinyModels.FloatTensor("mean", [3], [0.1f, -0.1f, 0f]));
        g.Initializer.Add(Shrink.Tests.TestSupport.TinyModels.FloatTensor("var", [3], [1f, 2f, 0.5f]));
        g.Initializer.Add(ConvWeight("w2", 2, 3, 1, 42, [0.01f, 3f]));
        g.Node.Add(Shrink.Tests.TestSupport.TinyModels.Node("Conv", ["input", "w1"], ["h"], "conv1"));
        g.Node.Add(Shrink.Tests.TestSupport.TinyModels.Node("BatchNormalization", ["h", "gamma", "beta", "mean", "var"], ["n"], "bn"));
        g.Node.Add(Shrink.Tests.TestSupport.TinyModels.Node("Relu", ["n"], ["a"], "relu"));
        g.Node.Add(Shrink.Tests.TestSupport.TinyModels.Node("Conv", ["a", "w2"], ["output"], "conv2"));
        return Shrink.Tests.TestSupport.TinyModels.BuildModel(g);
    }
}
