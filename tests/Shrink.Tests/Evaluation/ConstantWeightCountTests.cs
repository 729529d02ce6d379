using Shrink.Evaluation;
using Shrink.Model;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Evaluation;

/// <summary>
/// Weights an exporter wrote as Constant nodes are parameters too: `shrink inspect` and `shrink eval` showed 0 for a
/// model whose weights were all Constants.
/// </summary>
public sealed class ConstantWeightCountTests
{
    [Fact]
    public void Parameters_count_Constant_node_weights_like_initializers()
    {
        var asInitializers = OnnxModel.FromProto(MatMulReluAdd(8, 5), "init");
        var asConstants = OnnxModel.FromProto(MatMulReluAdd(8, 5, weightsAsConstants: true), "const");

        Assert.Equal((8 * 5) + 5, ModelStatistics.Compute(asInitializers).Parameters);
        Assert.Equal((8 * 5) + 5, ModelStatistics.Compute(asConstants).Parameters);
    }

    [Fact]
    public void Inspect_lists_a_MatMul_whose_weight_is_a_Constant_node()
    {
        var inspection = ModelInspection.Of(OnnxModel.FromProto(MatMulReluAdd(8, 5, weightsAsConstants: true), "const"), "const");

        var candidate = Assert.Single(inspection.Candidates);
        Assert.Equal("MatMul", candidate.OpType);
        Assert.Equal(40, candidate.Parameters);
        Assert.Equal(45, inspection.Statistics.Parameters);
        Assert.Contains(inspection.Warnings, w => w.Contains("Constant node", StringComparison.Ordinal));
    }
}
