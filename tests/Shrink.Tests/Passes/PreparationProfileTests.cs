using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Passes;

public sealed class PreparationProfileTests
{
    [Fact]
    public void Compression_runs_promote_fold_upgrade_and_batchnorm_folding_in_that_order()
    {
        Assert.Equal(["promote-constants", "fold-constants", "upgrade-opset", "fold-batchnorm"], PreparationProfile.Compression.PassNames);
    }

    [Fact]
    public void Channel_pruning_keeps_batchnorm_and_constants_folded_by_later_passes()
    {
        Assert.Equal(["promote-constants", "upgrade-opset"], PreparationProfile.ChannelPruning.PassNames);
    }

    [Fact]
    public void Apply_reports_one_line_per_pass_that_changed_something()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(weightsAsConstants: true));
        var lines = PreparationProfile.Compression.Apply(model);
        Assert.Equal(["promote-constants: 2 change(s)"], lines);
        Assert.NotNull(model.Graph.FindInitializer("W"));
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Constant");
        Assert.Empty(PreparationProfile.Compression.Apply(model));
    }
}
