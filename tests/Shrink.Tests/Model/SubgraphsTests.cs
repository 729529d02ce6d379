using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>Weights inside If/Loop/Scan bodies are found (held by the subgraph or read from outside) and counted by inspection.</summary>
public sealed class SubgraphsTests
{
    [Fact]
    public void Inspection_counts_the_parameters_and_ops_inside_if_branches_and_lists_their_layers_with_the_branch()
    {
        var model = OnnxModel.FromProto(SubgraphModels.IfWithInnerWeights());
        Assert.Equal((2, 256L), Subgraphs.Weights(model.Graph));
        var inspection = ModelInspection.Of(model, "if_inner");
        Assert.Equal(256 + 8, inspection.Statistics.Parameters); // the Gemm bias counts too
        Assert.Equal(1, inspection.Statistics.OpHistogram["MatMul"]);
        Assert.Equal(1, inspection.Statistics.OpHistogram["Gemm"]);
        Assert.Equal(1, inspection.Statistics.OpHistogram["If"]);
        Assert.Contains(inspection.Warnings, w => w.StartsWith("2 weight tensor(s) (256 parameters) live inside If/Loop/Scan subgraphs: weight-only (rtn) and dynamic int8", StringComparison.Ordinal));
        var then = Assert.Single(inspection.Candidates, c => c.Node == "mm_then");
        Assert.Equal("If 'branch' then_branch", then.Subgraph);
        Assert.Equal([16L, 8L], then.WeightShape);
        Assert.Equal(8, then.OutputChannels);
        Assert.True(then.Quantizable);
        Assert.False(then.Prunable);
        var otherwise = Assert.Single(inspection.Candidates, c => c.Node == "gemm_else");
        Assert.Equal("If 'branch' else_branch", otherwise.Subgraph);
        Assert.Equal(8, otherwise.OutputChannels); // transB: [N, K]
    }

    [Fact]
    public void Weights_of_the_main_graph_read_inside_a_branch_are_subgraph_weights_counted_once()
    {
        var model = OnnxModel.FromProto(SubgraphModels.IfWithOuterWeights());
        // W_outer_then, W_outer_else and W_shared (read by both branches, counted once).
        Assert.Equal((3, 128L + 128 + 64), Subgraphs.Weights(model.Graph));
        var inspection = ModelInspection.Of(model, "if_outer");
        Assert.Equal(4, inspection.Candidates.Count);
        Assert.All(inspection.Candidates, c => Assert.StartsWith("If 'branch' ", c.Subgraph, StringComparison.Ordinal));
        Assert.Contains(inspection.Warnings, w => w.StartsWith("3 weight tensor(s) (320 parameters) live inside", StringComparison.Ordinal));
    }

    [Fact]
    public void Loop_and_scan_bodies_are_scopes_named_by_their_holder()
    {
        var loop = Assert.Single(Subgraphs.Layers(OnnxModel.FromProto(SubgraphModels.LoopWithMatMul()).Graph));
        Assert.Equal(("Loop 'loop' body", "loop_mm", "Wl"), (loop.Scope.Path, loop.Node.DisplayName, loop.Weight.Name));
        var scan = Assert.Single(Subgraphs.Layers(OnnxModel.FromProto(SubgraphModels.ScanWithMatMul()).Graph));
        Assert.Equal(("Scan 'scan' body", "scan_mm", "Ws"), (scan.Scope.Path, scan.Node.DisplayName, scan.Weight.Name));
    }

    [Fact]
    public void Outer_reads_are_the_values_a_branch_takes_from_the_enclosing_graph()
    {
        var model = OnnxModel.FromProto(SubgraphModels.IfReadingMainGraphChannels());
        var holder = model.Graph.Nodes.Single(n => n.HasSubgraph);
        Assert.Equal(["h"], Subgraphs.OuterReads(holder).Order());
        Assert.Empty(Subgraphs.OuterReads(model.Graph.Nodes.First()));
    }
}
