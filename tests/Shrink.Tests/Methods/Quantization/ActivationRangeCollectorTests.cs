using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

public class ActivationRangeCollectorTests
{
    private static IDataSource Open(IReadOnlyList<ModelInputSpec> inputs) =>
        DataSourceFactory.Open(ShrinkCli.SampleImages, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(ShrinkCli.Sample)! }, inputs);

    private static (IReadOnlyDictionary<string, CalibrationRange> Ranges, ActivationBatchPlan Plan) Collect(OnnxModel model, string[] tensors, long budget)
    {
        using var data = Open(ModelInputs.Of(model));
        ActivationBatchPlan? plan = null;
        var ranges = ActivationRangeCollector.Collect(model, tensors, data, new MinMaxCalibration(), QuantTarget.UInt8Asymmetric,
            samples: 96, batchSize: 32, memoryBudget: budget, planned: p => plan = p);
        return (ranges, plan!);
    }

    [Fact]
    public void Batch_chosen_for_a_memory_limit_respects_it_and_minmax_ranges_do_not_change()
    {
        var model = OnnxModel.Load(ShrinkCli.Sample);
        var tensors = model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Relu" or "Gemm").Select(n => n.Outputs[0]).ToArray();
        var (roomy, roomyPlan) = Collect(model, tensors, 1L << 30);
        Assert.Equal(32, roomyPlan.BatchSize);
        Assert.Single(roomyPlan.Groups);

        // A limit of three samples' activations: the batch drops to 3 and one batch stays within it.
        long limit = 3 * roomyPlan.BytesPerSample + roomyPlan.BytesPerSample / 2;
        var (small, smallPlan) = Collect(model, tensors, limit);
        Assert.Equal(3, smallPlan.BatchSize);
        Assert.True(smallPlan.BatchSize * smallPlan.BytesPerSample <= limit);

        // Under one sample: several passes, each group of one sample within the limit.
        var (split, splitPlan) = Collect(model, tensors, roomyPlan.BytesPerSample / 2);
        Assert.Equal(1, splitPlan.BatchSize);
        Assert.True(splitPlan.Groups.Count > 1);

        // Min-max does not depend on how the samples were batched or passed.
        foreach (var t in tensors)
        {
            Assert.Equal(roomy[t], small[t]);
            Assert.Equal(roomy[t], split[t]);
        }
    }
}
