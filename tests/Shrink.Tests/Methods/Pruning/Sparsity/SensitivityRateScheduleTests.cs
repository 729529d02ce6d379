using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.Methods.Pruning.Sparsity.SparsityFixtures;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

public sealed class SensitivityRateScheduleTests
{
    // Loss increase growing like rate^power·scale: a larger scale is a more sensitive layer.
    private static double[] Curve(double scale, double power = 4) => SensitivityRateSchedule.Rates.Select(r => scale * Math.Pow(r, power)).ToArray();

    [Fact]
    public void Allocation_hits_the_budget_exactly_and_prunes_the_insensitive_layer_harder()
    {
        long[] sizes = [1000, 1000];
        var (zeros, loss) = SensitivityRateSchedule.Allocate(sizes, [Curve(100), Curve(1)], 0.6);
        Assert.Equal(1200, zeros.Sum());
        Assert.True(zeros[1] > zeros[0], $"insensitive layer {zeros[1]} vs sensitive {zeros[0]}");
        Assert.True(zeros[1] >= 900, $"the cheap layer should go far: {zeros[1]}");
        Assert.True(loss[0] >= 0 && loss[1] >= 0);
    }

    [Fact]
    public void Equal_curves_give_nearly_equal_rates_and_the_surplus_goes_back()
    {
        long[] sizes = [800, 1200];
        var (zeros, _) = SensitivityRateSchedule.Allocate(sizes, [Curve(1), Curve(1)], 0.55);
        Assert.Equal((long)Math.Round(0.55 * 2000), zeros.Sum());
        double r0 = (double)zeros[0] / sizes[0], r1 = (double)zeros[1] / sizes[1];
        Assert.True(Math.Abs(r0 - r1) <= 0.15, $"rates {r0:F3} and {r1:F3}");
    }

    [Fact]
    public void Flat_costs_that_let_the_solver_overshoot_still_end_exactly_on_the_budget()
    {
        var flat = new double[SensitivityRateSchedule.Rates.Count];
        var (zeros, _) = SensitivityRateSchedule.Allocate([300, 7000, 400], [flat, flat, flat], 0.6);
        Assert.Equal((long)Math.Round(0.6 * 7700), zeros.Sum());
    }

    [Fact]
    public void Zero_sparsity_prunes_nothing_and_an_unreachable_rate_is_refused()
    {
        Assert.All(SensitivityRateSchedule.Allocate([100, 100], [Curve(1), Curve(1)], 0).Zeros, z => Assert.Equal(0, z));
        Assert.Throws<ShrinkException>(() => SensitivityRateSchedule.Allocate([100, 100], [Curve(1), Curve(1)], 0.99));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)] // the data must be read for the schedule alone, without per-layer errors or an update
    [InlineData(true, true)]
    public void Pruner_with_the_sensitivity_schedule_reaches_the_rate_and_reports_each_layers_loss(bool reconstruct, bool layerErrors)
    {
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.6, Scope = SparsityScope.Sensitivity, Reconstruct = reconstruct, MeasureLayerErrors = layerErrors, Samples = 64, SensitivitySamples = 32 })
            .Prune(Mixed(), Random(64));
        long total = 0, zeros = 0;
        foreach (var name in LayerNames)
        {
            var (w, _, _) = Matrix(result.Model, name);
            total += w.Length;
            zeros += w.LongCount(v => v == 0);
        }
        Assert.Equal((long)Math.Round(0.6 * total), zeros);
        Assert.All(result.Layers, l => Assert.NotNull(l.LossIncrease));
        Assert.True(result.ScheduleSeconds > 0);
        var e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions { Scope = SparsityScope.Sensitivity }).Prune(Mixed(), null));
        Assert.Contains("calibration data", e.Message);
    }

    [Fact]
    public void A_language_model_is_measured_per_position_and_a_classifier_per_sample()
    {
        // input_ids [batch, seq] → Gather(embedding) → MatMul → logits [batch, seq, 16]: the next-token distribution at
        // each position, not one softmax over the whole sequence.
        var graph = new GraphProto { Name = "lm" };
        graph.Input.Add(TensorInfo("input_ids", (int)TensorProto.Types.DataType.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("logits", "batch", "seq", 16));
        graph.Initializer.Add(FloatTensor("embedding", [16, 8], RandomFloats(16 * 8, 1)));
        graph.Initializer.Add(FloatTensor("head", [8, 16], RandomFloats(8 * 16, 2)));
        graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["hidden"], "embed"));
        graph.Node.Add(Node("MatMul", ["hidden", "head"], ["logits"], "lm_head"));
        var lm = OnnxModel.FromProto(BuildModel(graph), "lm");
        var ids = new long[4 * 5];
        for (int i = 0; i < ids.Length; i++) ids[i] = (i * 7) % 16;
        var batch = new DataBatch([new BatchTensor("input_ids", ElementType.Int64, [4, 5], ids)], 4, null);
        Assert.Equal("kl-token", SensitivityRateSchedule.LossFor(lm, [batch]).Name);

        var classifier = Mixed();
        List<DataBatch> batches;
        using (var source = Random(8)(ModelInputs.Of(classifier))) batches = source.ReadBatches(8).ToList();
        Assert.Equal("kl", SensitivityRateSchedule.LossFor(classifier, batches).Name);
    }
}
