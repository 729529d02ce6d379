using Shrink.Calibration;
using Shrink.Model;
using Shrink.Statistics;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Statistics;

public class StatisticsRunnerTests
{
    private const int In = 4, Out = 3, Samples = 10;

    // input [batch,4] → MatMul(W) "mm" → Relu "act" → Add(b) "output"
    private static OnnxModel Tiny(int seed = 1) => OnnxModel.FromProto(TinyModels.MatMulReluAdd(In, Out, seed: seed), $"tiny{seed}");

    /// <summary>act = relu(input · W) computed here, row by sample.</summary>
    private static float[] Act(OnnxModel model, ReadOnlySpan<float> rows)
    {
        var w = model.Graph.FindInitializer("W")!.ToFloatArray();
        var act = new float[Samples * Out];
        for (int n = 0; n < Samples; n++)
            for (int j = 0; j < Out; j++)
            {
                float s = 0;
                for (int k = 0; k < In; k++) s += rows[n * In + k] * w[k * Out + j];
                act[n * Out + j] = Math.Max(0, s);
            }
        return act;
    }

    [Fact]
    public void Two_requests_share_one_run_per_batch_and_get_the_values_of_the_model()
    {
        var model = Tiny();
        int outputs = model.Proto.Graph.Output.Count;
        using var data = new CountingDataSource(Samples, In);
        var ranges = new RangeRequest(["act", "input"], new MinMaxCalibration());
        var moments = new ChannelMomentsRequest(new Dictionary<string, ChannelAxis> { ["act"] = new(1, Out) }, new Dictionary<string, long[]> { ["act"] = [1, Out] });

        var run = StatisticsRunner.Run(new StatisticsTap(model), [ranges, moments], data, new StatisticsRunOptions { Samples = Samples, BatchSize = 4 });

        // 10 samples in batches of 4: three batches, read once, each run once for both requests.
        Assert.Equal(1, data.Passes);
        Assert.Equal(3, data.BatchesRead);
        Assert.Equal(3, run.Steps);
        Assert.Equal(Samples, run.Samples);
        Assert.Null(run.Plan);
        Assert.Equal(outputs, model.Proto.Graph.Output.Count); // the input model is not touched

        var act = Act(model, data.Rows);
        var range = ranges.Calibrators["act"].ComputeRange(QuantTarget.UInt8Asymmetric);
        Assert.Equal(act.Max(), range.Max, 5);
        Assert.Equal(data.Rows.ToArray().Max(), ranges.Calibrators["input"].ComputeRange(QuantTarget.UInt8Asymmetric).Max); // from the batch
        Assert.Equal(Samples * In, ranges.Calibrators["input"].Count);
        var (meanAbs, meanSquare) = moments.Means();
        for (int j = 0; j < Out; j++)
        {
            double abs = 0, square = 0;
            for (int n = 0; n < Samples; n++) { abs += act[n * Out + j]; square += act[n * Out + j] * (double)act[n * Out + j]; }
            Assert.Equal(abs / Samples, meanAbs["act"][j], 5);
            Assert.Equal(square / Samples, meanSquare["act"][j], 5);
        }
    }

    [Fact]
    public void A_tiny_memory_budget_splits_the_tensors_into_passes_with_the_same_statistics()
    {
        var model = Tiny();
        string[] tensors = ["mm", "act", "output"];
        (Dictionary<string, CalibrationRange> Ranges, ActivationBatchPlan Plan, StatisticsRun Run, CountingDataSource Data) Collect(long budget)
        {
            var data = new CountingDataSource(Samples, In);
            var request = new RangeRequest(tensors, new MinMaxCalibration());
            ActivationBatchPlan? planned = null;
            var run = StatisticsRunner.Run(new StatisticsTap(model), [request], data,
                new StatisticsRunOptions { Samples = Samples, BatchSize = 4, MemoryBudgetBytes = budget, Planned = p => planned = p });
            Assert.Same(planned, run.Plan);
            return (request.Calibrators.ToDictionary(kv => kv.Key, kv => kv.Value.ComputeRange(QuantTarget.UInt8Asymmetric)), planned!, run, data);
        }

        var roomy = Collect(1L << 20);
        Assert.Single(roomy.Plan.Groups);
        Assert.Equal(2, roomy.Data.Passes); // one sample to measure, then one pass
        Assert.Equal(3, roomy.Run.Steps);

        // Inputs (16 bytes, counted twice) plus one 12-byte tensor fit; two tensors do not: one pass per tensor, batch 1.
        var tight = Collect(32 + 12 + 4);
        Assert.Equal(3, tight.Plan.Groups.Count);
        Assert.Equal(1, tight.Plan.BatchSize);
        Assert.Equal(3, tight.Run.Passes);
        Assert.Equal(1 + 3, tight.Data.Passes);
        Assert.Equal(1 + 3 * Samples, tight.Data.BatchesRead);
        foreach (var t in tensors) Assert.Equal(roomy.Ranges[t], tight.Ranges[t]);
    }

    [Fact]
    public void A_paired_tensor_of_a_second_model_is_observed_in_the_same_batch_and_pass_as_its_key()
    {
        var first = Tiny(seed: 1);
        var second = Tiny(seed: 5);
        using var data = new CountingDataSource(Samples, In);
        var seen = new List<(int Pass, float First, float Second)>();
        StatisticTensor[] tensors = [new(0, "mm"), new(1, "mm", Key: "mm"), new(0, "output"), new(1, "output", Key: "output")];
        var captured = new CapturedTensorsRequest(tensors, (step, c) =>
        {
            Assert.True(c.TryGet(0, "mm", out var a) == c.TryGet(1, "mm", out var b));
            Assert.True(c.TryGet(0, "output", out _) == c.TryGet(1, "output", out _));
            if (c.TryGet(0, "mm", out a) && c.TryGet(1, "mm", out b)) seen.Add((step.Pass, a.Data[0], b.Data[0]));
        });

        var run = StatisticsRunner.Run([new StatisticsTap(first), new StatisticsTap(second, ComputeOnlyRequested: true)], [captured], data,
            new StatisticsRunOptions { Samples = Samples, BatchSize = 4, MemoryBudgetBytes = 32 + 12 + 4 });

        Assert.Equal(2, run.Passes); // mm, output: one pass each, the second model's tensors follow their keys
        Assert.Equal(Samples, seen.Count); // batch 1: mm of both models seen together in every step of one pass
        Assert.All(seen, s => Assert.Equal(seen[0].Pass, s.Pass));
        Assert.Contains(seen, s => s.First != s.Second); // different weights: the second model really ran
    }

    [Fact]
    public void A_tensor_on_a_tap_that_does_not_exist_is_refused()
    {
        using var data = new CountingDataSource(Samples, In);
        var captured = new CapturedTensorsRequest([new StatisticTensor(1, "mm")], (_, _) => { });
        var e = Assert.Throws<ArgumentException>(() => StatisticsRunner.Run(new StatisticsTap(Tiny()), [captured], data, new StatisticsRunOptions { Samples = Samples, BatchSize = 4 }));
        Assert.Contains("'mm'", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, data.Passes);
    }
}
