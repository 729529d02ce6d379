using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class AttentionHeadPruningTests
{
    private static float[] Run(byte[] model, int d) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Assert.Single(OrtRunner.RunOnce(model, AttentionFixtures.Input(d))).Bytes).ToArray();

    [Theory]
    [InlineData(2, 4, AttentionShapes.Constant, false, false)]
    [InlineData(2, 4, AttentionShapes.Computed, false, false)]
    [InlineData(4, 2, AttentionShapes.Computed, false, true)]
    [InlineData(4, 2, AttentionShapes.Constant, true, false)]
    [InlineData(2, 4, AttentionShapes.Sliced, true, true)]
    [InlineData(4, 2, AttentionShapes.Sliced, false, false)]
    public void RemovingHeadsEqualsZeroingTheirOutputProjectionRows(int heads, int headSize, AttentionShapes shapes, bool separate, bool mask)
    {
        int d = heads * headSize;
        int[] weak = heads == 2 ? [0] : [1, 3];
        var proto = AttentionFixtures.Block(heads, headSize, shapes, separate, weak, mask);
        var options = new ChannelPruningOptions
        {
            Sparsity = 0,
            ChannelMultiple = 16,
            KeptChannels = new Dictionary<string, int> { [AttentionFixtures.QkvNode] = heads - weak.Length },
        };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()));

        var group = Assert.Single(result.Groups);
        Assert.Equal(heads, group.Channels);
        Assert.Equal(headSize, group.HeadSize);
        Assert.Equal(heads - weak.Length, group.Kept);
        int keptWidth = (heads - weak.Length) * headSize;
        Assert.Equal([d, separate ? keptWidth : 3 * keptWidth], PruningAssert.Dims(result.Model, AttentionFixtures.QkvWeight));
        Assert.Equal([keptWidth, d], PruningAssert.Dims(result.Model, AttentionFixtures.OutputWeight));
        Assert.True(result.MacsAfter < result.MacsBefore);

        var reference = proto;
        foreach (int h in weak) reference = AttentionFixtures.WithoutHead(reference, h, headSize);
        var expected = Run(TinyModels.Bytes(reference), d);
        var actual = Run(result.Model.ToByteArray(), d);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"output[{i}]: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void CostModelCountsTheAttentionMatMulsAsTheSurgeryLeavesThem()
    {
        var model = OnnxModel.FromProto(AttentionFixtures.Block(heads: 4, headSize: 2));
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var sample = data.ReadBatches(1, 1).First();
        var shapes = ValueShapeProbe.Measure(model, sample);
        var dependencies = ChannelDependencyGraph.Build(model, shapes);
        var cost = PruningCostModel.Build(model.Graph, dependencies, shapes, PruningTarget.Macs);
        var heads = Assert.Single(dependencies.Groups, g => g.HeadSize is not null);
        var keep = dependencies.Groups.Select(g => g == heads ? new[] { 0, 2 } : Enumerable.Range(0, g.Size).ToArray()).ToArray();
        var pruned = model.Clone();
        ChannelSurgery.Apply(pruned.Graph, dependencies, keep);

        Assert.Equal((double)ModelStatistics.Compute(model, shapes).MacsPerSample!, cost.Total, 6);
        double predicted = cost.Evaluate(keep.Select(k => k.Length).ToArray());
        Assert.Equal((double)ModelStatistics.Compute(pruned, ValueShapeProbe.Measure(pruned, sample)).MacsPerSample!, predicted, 6);
        // At batch 1: the output projection (T·D·D) and q·kᵀ and softmax·v (2·H·T·T·dh); the q,k,v projection reads the
        // graph input, whose shape the probe does not measure, so it counts 0 on both sides. Two of four heads halve it all.
        Assert.Equal(3 * 8 * 8 + 2 * 4 * 3 * 3 * 2, cost.Total, 6);
        Assert.Equal(cost.Total / 2, predicted, 6);
    }

    [Fact]
    public void PrunedBlockLoadsWithTheSameInterfaceAndShapes()
    {
        var proto = AttentionFixtures.Block(heads: 4, headSize: 2, AttentionShapes.Computed);
        var options = new ChannelPruningOptions { Sparsity = 0.3, ChannelMultiple = 16, Reconstruct = true, Samples = 32, BatchSize = 8 };
        var result = new ChannelPruner(options).Prune(OnnxModel.FromProto(proto.Clone()),
            inputs => new RandomDataSource(inputs, new Dictionary<string, long[]>(), 32));
        var group = Assert.Single(result.Groups);
        Assert.InRange(group.Kept, 1, 3); // whole heads, not rounded to the channel multiple
        Assert.Contains(result.Refits, r => r.Node.Contains("o_matmul", StringComparison.Ordinal));
        var before = Assert.Single(OrtRunner.RunOnce(TinyModels.Bytes(proto), AttentionFixtures.Input(8, batch: 3)));
        var after = Assert.Single(OrtRunner.RunOnce(result.Model.ToByteArray(), AttentionFixtures.Input(8, batch: 3)));
        Assert.Equal(before.Shape, after.Shape);
        Assert.Equal(before.Name, after.Name);
    }
}
