using Shrink.Layers;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Ops;
using static Shrink.Tests.Methods.Quantization.Equivalence.EquivalenceFixtures;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public sealed class CrossLayerEqualizationTests
{
    private static readonly EquivalenceOptions Equalize = new() { Equalize = true };

    private static double Ratio(OnnxModel model, string node)
    {
        var layer = WeightLayer.TryCreate(model.Graph.Nodes.Single(n => n.Name == node), model.Graph, out _)!;
        return CrossLayerEqualization.RangeRatio(layer.ReadMatrix(model.Graph), LayerChannels.Of(layer));
    }

    [Fact]
    public void Conv_relu_conv_keeps_the_function_and_flattens_the_first_weights_ranges()
    {
        var model = OnnxModel.FromProto(ConvPair("Relu"));
        using var data = CalibrationData(model);
        var before = Outputs(model, data).Values;
        double ratioBefore = Ratio(model, "conv1");

        var result = Apply(model, Equalize).Single();

        Assert.True(RelativeDifference(before, Outputs(model, data).Values) < 1e-4);
        var row = Assert.Single(result.Layers);
        Assert.Equal("conv1 → conv2", row.Node);
        Assert.True(row.Applied);
        Assert.StartsWith("scales ", row.Setting);
        Assert.True(ratioBefore > 5, $"fixture spread {ratioBefore}");
        Assert.True(Ratio(model, "conv1") < ratioBefore / 2, $"{ratioBefore} → {Ratio(model, "conv1")}");
        Assert.Equal(ratioBefore, row.OutlierRatioBefore, 3);
        Assert.True(row.OutlierRatioAfter < row.OutlierRatioBefore / 2);
    }

    [Fact]
    public void A_depthwise_chain_is_equalized_pair_by_pair_and_keeps_the_function()
    {
        var model = OnnxModel.FromProto(DepthwiseChain());
        using var data = CalibrationData(model);
        var before = Outputs(model, data).Values;
        double pw1 = Ratio(model, "pw1"), dw = Ratio(model, "dw");

        var result = Apply(model, Equalize).Single();

        Assert.True(RelativeDifference(before, Outputs(model, data).Values) < 1e-4);
        Assert.Equal(["pw1 → dw", "dw → pw2"], result.Layers.Where(l => l.Applied).Select(l => l.Node));
        Assert.True(Ratio(model, "pw1") < pw1 / 2, $"pw1 {pw1} → {Ratio(model, "pw1")}");
        Assert.True(Ratio(model, "dw") < dw / 2, $"dw {dw} → {Ratio(model, "dw")}");
        Assert.Contains(result.Notes, n => n.Contains("sweep"));
    }

    [Fact]
    public void A_clip_between_becomes_relu_and_a_per_channel_min_and_the_function_is_kept()
    {
        var model = OnnxModel.FromProto(ConvPair("Clip"));
        using var data = CalibrationData(model);
        var before = Outputs(model, data).Values;

        var row = Apply(model, Equalize).Single().Layers.Single();

        Assert.True(row.Applied);
        Assert.Contains("Clip 'clip6' → per-channel bound", row.Setting);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == OpTypes.Clip);
        var min = model.Graph.Nodes.Single(n => n.OpType == OpTypes.Min);
        Assert.Equal([4L, 1, 1], model.Graph.FindInitializer(min.Inputs[1])!.Dims);
        Assert.True(RelativeDifference(before, Outputs(model, data).Values) < 1e-4);
    }

    [Fact]
    public void A_sigmoid_between_is_skipped_with_the_node_named_and_nothing_changes()
    {
        var model = OnnxModel.FromProto(ConvPair("Sigmoid"));
        var w1 = model.Graph.FindInitializer("w1")!.ToFloatArray();

        var row = Apply(model, Equalize).Single().Layers.Single();

        Assert.False(row.Applied);
        Assert.Equal("conv1 → conv2", row.Node);
        Assert.Contains("Sigmoid 'sigmoid'", row.Skipped);
        Assert.Contains("not positive-homogeneous", row.Skipped);
        Assert.Equal(w1, model.Graph.FindInitializer("w1")!.ToFloatArray());
    }
}
