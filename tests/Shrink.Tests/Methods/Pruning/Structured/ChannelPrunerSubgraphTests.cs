using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Structured;

/// <summary>Channel pruning never changes channels a subgraph reads from outside, and lists the layers inside subgraphs as left alone.</summary>
public sealed class ChannelPrunerSubgraphTests
{
    [Fact]
    public void Channels_read_inside_a_branch_are_refused_and_the_branch_layers_are_listed_as_left_alone()
    {
        var result = new ChannelPruner(new ChannelPruningOptions { Sparsity = 0, ChannelMultiple = 1 }).Prune(OnnxModel.FromProto(SubgraphModels.IfReadingMainGraphChannels()));
        var gemm = Assert.Single(result.LeftAlone, g => g.Group.Contains("gemm0", StringComparison.Ordinal));
        Assert.Contains(gemm.Reasons, r => r.Contains("reads the channels inside a subgraph", StringComparison.Ordinal));
        var then = Assert.Single(result.LeftAlone, g => g.Group == "mm_then (in If 'branch' then_branch)");
        Assert.Equal(8, then.Channels);
        Assert.Contains(result.LeftAlone, g => g.Group == "mm_else (in If 'branch' else_branch)");
    }

    [Fact]
    public void Pruning_a_model_whose_only_group_feeds_a_branch_is_refused_naming_the_subgraph_weights()
    {
        var e = Assert.Throws<ShrinkException>(() => new ChannelPruner(new ChannelPruningOptions { Sparsity = 0.5, ChannelMultiple = 1 }).Prune(OnnxModel.FromProto(SubgraphModels.IfReadingMainGraphChannels())));
        Assert.Contains("reads the channels inside a subgraph", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 weight tensor(s) (256 parameters) live inside If/Loop/Scan subgraphs, which channel pruning does not reach into", e.Message, StringComparison.Ordinal);
    }
}
