using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;

namespace Shrink.Tests.Methods.Pruning.Dependency;

public class ChannelDependencyGraphKvCacheTests
{
    private static ChannelDependencyGraph Build(ModelProto proto)
    {
        var model = OnnxModel.FromProto(proto.Clone());
        new PromoteConstantsToInitializers().Apply(model);
        var cache = new long[] { 1, 2, 3, 4 };
        var shapes = new Dictionary<string, long[]> { ["input_ids"] = [1, 2], ["past_key"] = cache, ["past_value"] = cache };
        using var data = new RandomDataSource(ModelInputs.Of(model), shapes.Where(s => ModelInputs.Of(model).Any(i => i.Name == s.Key)).ToDictionary(), 1);
        return ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
    }

    [Fact]
    public void ThePastCacheTakesTheHeadsOfTheNewKeysAndValuesAndThePresentOutputsCarryThem()
    {
        var graph = Build(KvCacheAttentionFixtures.Decoder());
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.True(heads.Prunable, string.Join("; ", heads.LeftAloneReasons));
        Assert.Equal(("2 heads × 4", 1), (heads.Unit, heads.Consumers.Count));

        // The cache inputs and outputs are the one place the interface changes: their head axis (1) is the group's.
        Assert.Equal(["past_key:in", "past_value:in", "present_key:out", "present_value:out"],
            graph.InterfaceSlices.Select(s => s.Value + (s.IsInput ? ":in" : ":out")).Order(StringComparer.Ordinal));
        Assert.All(graph.InterfaceSlices, s => Assert.Equal((1, heads.Id, 2), (s.Axis, Assert.Single(s.Layout.Segments).GroupId, s.Layout.Channels)));
        // The logits still may not change: the head's group reaches them.
        Assert.Contains(graph.Groups, g => g.LeftAloneReasons.Any(r => r.Contains("graph output 'logits'", StringComparison.Ordinal)));
    }

    [Fact]
    public void ACacheWhoseHeadCountIsReadLeavesTheHeadsAlone()
    {
        // Shape(past_key)[1] is the head count: removing a head would change what the graph computes from it.
        var graph = Build(KvCacheAttentionFixtures.Decoder(pastLengthIndex: 1));
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.False(heads.Prunable);
        Assert.Contains(heads.LeftAloneReasons, r => r.Contains("'past_key', whose channels are not tracked", StringComparison.Ordinal));
        Assert.DoesNotContain(graph.InterfaceSlices, s => s.Value == "past_key");
    }

    [Fact]
    public void AnOutputThatIsNotThePresentCacheOfAPastInputIsRefused()
    {
        // Without the past/present naming the model is not a decoder with a cache: its inputs and outputs stay as they are.
        var proto = KvCacheAttentionFixtures.Decoder();
        proto.Graph.Output.Single(o => o.Name == "present_key").Name = "keys";
        foreach (var n in proto.Graph.Node)
        {
            for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == "present_key") n.Input[i] = "keys";
            for (int i = 0; i < n.Output.Count; i++) if (n.Output[i] == "present_key") n.Output[i] = "keys";
        }
        var graph = Build(proto);
        var heads = Assert.Single(graph.Groups, g => g.HeadSize is not null);
        Assert.False(heads.Prunable);
        Assert.Empty(graph.InterfaceSlices);
    }
}
