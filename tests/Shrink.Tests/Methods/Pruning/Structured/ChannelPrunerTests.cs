using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class ChannelPrunerTests
{
    private static ChannelPruningResult Prune(ModelProto proto, double sparsity, string criterion = "l1", bool data = false,
        PruningSchedule schedule = PruningSchedule.Global, bool reconstruct = false)
    {
        var options = new ChannelPruningOptions
        {
            Sparsity = sparsity,
            Criterion = criterion,
            ChannelMultiple = 1,
            Schedule = schedule,
            Reconstruct = reconstruct,
            Samples = 64,
            BatchSize = 16,
        };
        Func<IReadOnlyList<ModelInputSpec>, IDataSource>? open = data ? inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), 64) : null;
        var model = OnnxModel.FromProto(proto.Clone());
        var before = model.Clone().ToByteArray();
        var result = new ChannelPruner(options).Prune(model, open);
        Assert.Equal(before, model.ToByteArray()); // the input model is never modified
        return result;
    }

    private static ModelProto ConvReluConv()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4, zeroFilters: [1, 3]);
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "output", 4, 3);
        return f.Build("output", "batch", 3, 6, 6);
    }

    [Fact]
    public void ConvReluConvRemovesTheZeroFiltersAndKeepsOutputsIdentical()
    {
        var proto = ConvReluConv();
        var result = Prune(proto, 0.3);
        var group = Assert.Single(result.Groups);
        Assert.Equal(4, group.Channels);
        Assert.Equal(2, group.Kept);
        Assert.Equal([2, 2, 3, 3], PruningAssert.Dims(result.Model, "c1_W"));
        Assert.Equal([3, 2, 3, 3], PruningAssert.Dims(result.Model, "output_W"));
        Assert.Contains(result.LeftAlone, g => g.Reasons.Any(r => r.Contains("graph output 'output'", StringComparison.Ordinal)));
        Assert.True(result.MacsAfter < result.MacsBefore * 0.75);
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void ResidualAddTiesBothProducersAndFlattenedGemmColumns()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c0", 2, 4, zeroFilters: [0, 2]);
        f.Op("Relu", ["c0"], "r0");
        f.Conv("r0", "ca", 4, 4, zeroFilters: [0, 2]);
        f.Op("Add", ["ca", "r0"], "sum");
        f.Op("Relu", ["sum"], "rs");
        f.Op("GlobalAveragePool", ["rs"], "gap");
        f.Op("Flatten", ["gap"], "flat", ChannelFixtures.Int("axis", 1));
        f.Gemm("flat", "output", 4, 3);
        var proto = f.Build("output", "batch", 3);
        var result = Prune(proto, 0.5);
        var group = Assert.Single(result.Groups);
        Assert.Equal(2, group.Producers.Count);
        Assert.Equal(2, group.Kept);
        Assert.Equal([2, 2, 3, 3], PruningAssert.Dims(result.Model, "ca_W"));
        Assert.Equal([3, 2], PruningAssert.Dims(result.Model, "output_W"));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void ConcatMapsEachInputToItsOffsetRange()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 3, zeroFilters: [1]);
        f.Conv("input", "c2", 2, 3, zeroFilters: [0]);
        f.Op("Concat", ["c1", "c2"], "cat", ChannelFixtures.Int("axis", 1));
        f.Op("Relu", ["cat"], "r");
        f.Conv("r", "output", 6, 2);
        var proto = f.Build("output", "batch", 2, 6, 6);
        var result = Prune(proto, 0.3);
        Assert.Equal(2, result.Groups.Count);
        Assert.All(result.Groups, g => Assert.Equal(2, g.Kept));
        Assert.Equal([2, 4, 3, 3], PruningAssert.Dims(result.Model, "output_W"));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void DepthwiseConvLosesTheChannelOnBothSidesAndItsGroupShrinks()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4, zeroFilters: [2]);
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "dw", 4, 4, group: 4, zeroFilters: [2]);
        f.Conv("dw", "output", 4, 3);
        var proto = f.Build("output", "batch", 3, 6, 6);
        var result = Prune(proto, 0.2);
        Assert.Equal(3, Assert.Single(result.Groups).Kept);
        Assert.Equal([3, 1, 3, 3], PruningAssert.Dims(result.Model, "dw_W"));
        Assert.Equal(3, result.Model.Graph.Producer("dw")!.GetInt("group", 1));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void FlattenIntoGemmRemovesBlocksOfSpatialColumns()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4, zeroFilters: [1]);
        f.Op("Relu", ["c1"], "r1");
        f.Op("Flatten", ["r1"], "flat", ChannelFixtures.Int("axis", 1));
        f.Gemm("flat", "g1", 4 * 36, 5, zeroRows: [3]);
        f.Op("Relu", ["g1"], "rg");
        f.Gemm("rg", "output", 5, 3);
        var proto = f.Build("output", "batch", 3);
        var result = Prune(proto, 0.28);
        Assert.Equal([3, 4], result.Groups.Select(g => g.Kept).Order());
        Assert.Equal([4, 3 * 36], PruningAssert.Dims(result.Model, "g1_W"));
        Assert.Equal([3, 4], PruningAssert.Dims(result.Model, "output_W"));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void AShapeConstantSharedWithAnUnprunedReshapeIsCopiedNotEditedInPlace()
    {
        var f = new ChannelFixtures();
        f.Int64Initializer("flat_shape", [0, 4 * 36]);
        f.Conv("input", "c1", 2, 4, zeroFilters: [1]);
        f.Op("Relu", ["c1"], "r1");
        f.Op("Reshape", ["r1", "flat_shape"], "flat1");
        f.Gemm("flat1", "g1", 4 * 36, 3);
        f.Conv("input", "c2", 2, 4);
        f.Op("Relu", ["c2"], "r2");
        f.Op("Reshape", ["r2", "flat_shape"], "flat2");
        f.Gemm("flat2", "g2", 4 * 36, 3);
        f.Op("Add", ["g1", "g2"], "output");
        var proto = f.Build("output", "batch", 3);
        var options = new ChannelPruningOptions { Sparsity = 0.1, ChannelMultiple = 1, KeptChannels = new Dictionary<string, int> { ["c2_conv"] = 4 } };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));

        Assert.Equal(3, result.Groups.Single(g => g.Producers.Contains("c1_conv")).Kept);
        Assert.Equal([3, 3 * 36], PruningAssert.Dims(result.Model, "g1_W"));
        Assert.Equal([3, 4 * 36], PruningAssert.Dims(result.Model, "g2_W"));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void UnknownOpInThePathLeavesTheGroupAloneWithTheReason()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4);
        f.Op("LRN", ["c1"], "n1", ChannelFixtures.Int("size", 3));
        f.Conv("n1", "output", 4, 3);
        var proto = f.Build("output", "batch", 3, 6, 6);
        var result = Prune(proto, 0);
        Assert.Empty(result.Groups);
        Assert.Contains(result.LeftAlone, g => g.Reasons.Any(r => r.Contains("LRN", StringComparison.Ordinal)));
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void SparsityOutsideTheRangeThrows(double sparsity)
    {
        var e = Assert.Throws<OptionsException>(() => Prune(ConvReluConv(), sparsity));
        Assert.Contains("sparsity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SparsityThatWouldEmptyALayerThrowsNamingIt()
    {
        var e = Assert.Throws<ShrinkException>(() => Prune(ConvReluConv(), 0.95, schedule: PruningSchedule.Uniform));
        Assert.Contains("c1_conv", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DataAwareCriteriaNeedData()
    {
        var e = Assert.Throws<ShrinkException>(() => Prune(ConvReluConv(), 0.3, criterion: "activation"));
        Assert.Contains("needs calibration data", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("activation")]
    [InlineData("reconstruction")]
    [InlineData("l2")]
    public void EveryCriterionFindsTheZeroChannels(string criterion)
    {
        var proto = ConvReluConv();
        var result = Prune(proto, 0.3, criterion: criterion, data: true);
        Assert.Equal(2, Assert.Single(result.Groups).Kept);
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: true);
    }

    [Fact]
    public void BnScaleRefusesAModelWithoutBatchNormalization()
    {
        var e = Assert.Throws<ShrinkException>(() => Prune(ConvReluConv(), 0.3, criterion: "bn-scale"));
        Assert.Contains("no BatchNormalization", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BnScaleRanksByGammaAndTheBatchNormIsSlicedThenFolded()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 4);
        foreach (var (name, values) in new[] { ("scale", new[] { 1f, 0.001f, 2f, 0.002f }), ("bias", new[] { 0.1f, 0.2f, 0.3f, 0.4f }), ("mean", new[] { 0f, 0.1f, 0f, 0.1f }), ("var", new[] { 1f, 1f, 2f, 2f }) })
            f.Initializer(name, [4], values);
        f.Op("BatchNormalization", ["c1", "scale", "bias", "mean", "var"], "bn");
        f.Op("Relu", ["bn"], "r1");
        f.Conv("r1", "output", 4, 3);
        var proto = f.Build("output", "batch", 3, 6, 6);
        var result = Prune(proto, 0.3, criterion: "bn-scale");
        Assert.Equal(2, Assert.Single(result.Groups).Kept);
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType == "BatchNormalization");
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: false);
    }

    [Fact]
    public void ReconstructRefitsTheNextLayerTowardTheUnprunedOutput()
    {
        var f = new ChannelFixtures();
        f.Conv("input", "c1", 2, 6);
        f.Op("Relu", ["c1"], "r1");
        f.Conv("r1", "output", 6, 3);
        var proto = f.Build("output", "batch", 3, 6, 6);
        var result = Prune(proto, 0.4, data: true, reconstruct: true);
        var refit = Assert.Single(result.Refits);
        Assert.Null(refit.Note);
        Assert.True(refit.RelativeErrorAfter < refit.RelativeErrorBefore, $"{refit.RelativeErrorBefore} -> {refit.RelativeErrorAfter}");
        PruningAssert.LoadsWithSameInterface(proto, result.Model, identical: false);
    }
}
