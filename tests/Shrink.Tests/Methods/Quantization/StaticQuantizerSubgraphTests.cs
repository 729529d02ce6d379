using Google.Protobuf;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

/// <summary>Static int8 quantizes the main graph and leaves the layers inside subgraphs in float, naming them.</summary>
public sealed class StaticQuantizerSubgraphTests
{
    [Fact]
    public void Layers_inside_branches_stay_float_and_are_listed_by_name_with_the_reason()
    {
        var proto = SubgraphModels.IfReadingMainGraphChannels();
        var result = new StaticQuantizer(new StaticQuantizationOptions { Samples = 32, AnalysisSamples = 0, MinReductionSize = 1 })
            .Quantize(OnnxModel.FromProto(proto.Clone()), inputs => DataSourceFactory.Open("random:32", new DataOptions(), inputs));
        Assert.True(result.QuantizedByOp.Values.Sum() >= 1); // gemm0
        var then = Assert.Single(result.LeftInFloat, l => l.Reason.StartsWith("inside If 'branch' then_branch", StringComparison.Ordinal));
        Assert.Equal("MatMul", then.OpType);
        Assert.EndsWith(": mm_then", then.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot be calibrated", then.Reason, StringComparison.Ordinal);
        Assert.Contains(result.LeftInFloat, l => l.Reason.StartsWith("inside If 'branch' else_branch", StringComparison.Ordinal));
        // gemm0's Relu folds into its int8 range: the branches must read the clipped (dequantized) value, not the raw Gemm output.
        foreach (bool flag in new[] { true, false })
        {
            double sqnr = SubgraphModels.WorstSqnr(proto.ToByteArray(), result.Model.ToByteArray(), SubgraphModels.Inputs(proto, flag));
            Assert.True(sqnr > 15, $"flag {flag}: SQNR {sqnr:F1} dB");
        }
    }

    [Fact]
    public void A_model_whose_layers_all_sit_in_subgraphs_is_refused_pointing_at_dynamic_and_weight_only()
    {
        var e = Assert.Throws<ShrinkException>(() => new StaticQuantizer(new StaticQuantizationOptions { Samples = 8, AnalysisSamples = 0 })
            .Quantize(OnnxModel.FromProto(SubgraphModels.LoopWithMatMul()), inputs => DataSourceFactory.Open("random:8", new DataOptions(), inputs)));
        Assert.Contains("1 weight tensor(s) (256 parameters) live inside If/Loop/Scan subgraphs, which static int8 leaves in float (--mode dynamic or --weights quantize them)", e.Message, StringComparison.Ordinal);
    }
}
