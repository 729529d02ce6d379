using Google.Protobuf;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>Opening subgraphs for editing: outer weights move into the branch that alone reads them; names stay unique across the model.</summary>
public sealed class SubgraphEditTests
{
    [Fact]
    public void Outer_weights_read_by_one_layer_move_into_its_branch_and_shared_ones_stay_with_the_reason()
    {
        var proto = SubgraphModels.IfWithOuterWeights();
        var model = OnnxModel.FromProto(proto.Clone());
        var edit = SubgraphEdit.Open(model);
        var left = edit.LocalizeWeights();
        Assert.Equal(["shared_else", "shared_then"], left.Select(l => l.Node.DisplayName).Order());
        Assert.All(left, l => Assert.Contains("'W_shared'", l.Reason, StringComparison.Ordinal));
        var then = edit.Scopes.Single(s => s.Attribute == "then_branch");
        Assert.NotNull(then.Graph.FindInitializer("W_outer_then"));
        Assert.Null(then.Graph.FindInitializer("W_outer_else"));
        Assert.Null(model.Graph.FindInitializer("W_outer_then"));
        Assert.NotNull(model.Graph.FindInitializer("W_shared"));
        edit.Commit();

        // The moved model computes exactly what the original did, on both branches.
        foreach (bool flag in new[] { true, false })
        {
            var inputs = SubgraphModels.Inputs(proto, flag);
            Assert.Equal(double.PositiveInfinity, SubgraphModels.WorstSqnr(proto.ToByteArray(), model.ToByteArray(), inputs));
        }
    }

    [Fact]
    public void Names_handed_out_anywhere_are_unused_in_every_graph_of_the_model()
    {
        var model = OnnxModel.FromProto(SubgraphModels.IfWithInnerWeights());
        var edit = SubgraphEdit.Open(model);
        var then = edit.Scopes.Single(s => s.Attribute == "then_branch").Graph;
        var otherwise = edit.Scopes.Single(s => s.Attribute == "else_branch").Graph;
        Assert.NotEqual("W_else", then.UniqueName("W_else"));
        Assert.NotEqual("W_then", model.Graph.UniqueName("W_then"));
        string a = then.UniqueName("fresh"), b = otherwise.UniqueName("fresh");
        Assert.Equal("fresh", a);
        Assert.NotEqual(a, b);
    }
}
