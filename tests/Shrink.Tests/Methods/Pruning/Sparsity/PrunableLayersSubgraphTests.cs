using Google.Protobuf;
using Shrink.Methods.Pruning.LowRank;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

/// <summary>Sparsity and low rank work on the main graph and list the layers inside subgraphs as left alone, with the reason.</summary>
public sealed class PrunableLayersSubgraphTests
{
    [Fact]
    public void Sparsity_prunes_the_main_graph_and_lists_branch_layers_as_left_dense()
    {
        var proto = SubgraphModels.IfReadingMainGraphChannels();
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.5 }).Prune(OnnxModel.FromProto(proto.Clone()), null);
        Assert.Equal("gemm0", Assert.Single(result.Layers).Name);
        var then = Assert.Single(result.LeftDense, l => l.Name == "mm_then (in If 'branch' then_branch)");
        Assert.Equal("inside an If/Loop/Scan subgraph, which pruning and low rank do not reach into", then.Reason);
        // The branches are untouched: same weights, and the model runs on both branches.
        foreach (bool flag in new[] { true, false })
            Assert.True(SubgraphModels.WorstSqnr(proto.ToByteArray(), result.Model.ToByteArray(), SubgraphModels.Inputs(proto, flag)) > 0);
    }

    [Fact]
    public void Low_rank_of_a_model_whose_layers_all_sit_in_a_loop_body_is_refused_with_the_reason()
    {
        var e = Assert.Throws<ShrinkException>(() => new LowRankFactorizer(new LowRankOptions { Ratio = 0.5 }).Factorize(OnnxModel.FromProto(SubgraphModels.LoopWithMatMul()), null));
        Assert.Contains("nothing to factor", e.Message, StringComparison.Ordinal);
        Assert.Contains("loop_mm (in Loop 'loop' body): inside an If/Loop/Scan subgraph", e.Message, StringComparison.Ordinal);
    }
}
