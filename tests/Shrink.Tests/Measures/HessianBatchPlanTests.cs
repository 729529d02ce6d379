using Onnx;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Measures;

public sealed class HessianBatchPlanTests
{
    // input [batch, 64, 1024] (256 KiB a sample) → MatMul 1024→32 → Relu → MatMul 32→32 → Relu → MatMul 32→8 → output.
    private static OnnxModel WideInput()
    {
        var graph = new GraphProto { Name = "wide" };
        graph.Input.Add(FloatInfo("input", "batch", 64, 1024));
        graph.Output.Add(FloatInfo("output", "batch", 64, 8));
        graph.Initializer.Add(FloatTensor("W1", [1024, 32], RandomFloats(1024 * 32, 21).Select(v => v * 0.05f).ToArray()));
        graph.Initializer.Add(FloatTensor("W2", [32, 32], RandomFloats(32 * 32, 22)));
        graph.Initializer.Add(FloatTensor("W3", [32, 8], RandomFloats(32 * 8, 23)));
        graph.Node.Add(Node("MatMul", ["input", "W1"], ["h1"], "first"));
        graph.Node.Add(Node("Relu", ["h1"], ["a1"], "relu1"));
        graph.Node.Add(Node("MatMul", ["a1", "W2"], ["h2"], "second"));
        graph.Node.Add(Node("Relu", ["h2"], ["a2"], "relu2"));
        graph.Node.Add(Node("MatMul", ["a2", "W3"], ["output"], "third"));
        return OnnxModel.FromProto(BuildModel(graph), "wide");
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 5 }, inputs);

    [Fact]
    public void The_batch_is_the_largest_whose_inputs_and_exposed_layer_inputs_fit_the_budget()
    {
        var model = WideInput();
        var layers = WeightLayer.SelectAll(model.Graph, _ => null).Layers;
        var inputs = ModelInputs.Of(model);
        using var data = FixedBatchDataSource.ForModel(Random(4)(inputs), inputs);
        // Per sample: the input twice (2 × 256 KiB) and the largest exposed layer input (64 × 32 floats = 8 KiB), twice
        // when the float model runs beside it: 528 KiB; 16 MiB holds 31 of them.
        var plan = HessianBatchPlan.Choose(model, layers, data, sequential: true, paired: true, 16L << 20, 64);
        Assert.Equal(2 * 256 * 1024 + 2 * 8 * 1024, plan.BytesPerSample);
        Assert.Equal((int)((16L << 20) / plan.BytesPerSample), plan.BatchSize);
        Assert.Single(plan.Groups);
        // All layer inputs at once (one-shot), once each: 2 × 256 KiB + 8 KiB + 8 KiB.
        var oneShot = HessianBatchPlan.Choose(model, layers, data, sequential: false, paired: false, 16L << 20, 64);
        Assert.Equal(2 * 256 * 1024 + 2 * 8 * 1024, oneShot.BytesPerSample);
        // A generous budget keeps the batch asked for.
        Assert.Equal(64, HessianBatchPlan.Choose(model, layers, data, sequential: true, paired: true, 1L << 30, 64).BatchSize);
    }

    [Fact]
    public void A_small_memory_limit_lowers_the_gptq_batch_says_so_and_changes_the_weights_only_by_float_noise()
    {
        var options = new WeightOnlyOptions { Method = "gptq", Samples = 64, BatchSize = 64, MeasureLayerErrors = false };
        var roomy = new WeightOnlyQuantizer(options with { MemoryLimitBytes = 1L << 30 }).Quantize(WideInput(), Random(64));
        var tight = new WeightOnlyQuantizer(options with { MemoryLimitBytes = 16L << 20 }).Quantize(WideInput(), Random(64));
        Assert.EndsWith("batch 64", roomy.Calibration, StringComparison.Ordinal);
        Assert.Contains("memory limit 16 MB: batch 31 instead of 64", tight.Calibration, StringComparison.Ordinal);
        Assert.Equal(roomy.Decisions.Count, tight.Decisions.Count);
        for (int i = 0; i < roomy.Decisions.Count; i++)
        {
            var a = roomy.Decisions[i].Weight.Dequantize();
            var b = tight.Decisions[i].Weight.Dequantize();
            double diff = 0, norm = 0;
            for (int j = 0; j < a.Length; j++)
            {
                diff += (double)(a[j] - b[j]) * (a[j] - b[j]);
                norm += (double)a[j] * a[j];
            }
            Assert.True(diff <= 1e-6 * norm, $"{roomy.Decisions[i].Layer.Name}: relative change {Math.Sqrt(diff / norm):E2}");
        }
    }

    [Fact]
    public void A_small_memory_limit_lowers_the_sparsegpt_batch_and_the_masks_stay_those_of_the_roomy_run()
    {
        var options = new SparsityOptions { Sparsity = 0.5, Reconstruct = true, Samples = 64, BatchSize = 64, MeasureLayerErrors = false };
        var roomy = new SparsityPruner(options with { MemoryLimitBytes = 1L << 30 }).Prune(WideInput(), Random(64));
        var tight = new SparsityPruner(options with { MemoryLimitBytes = 16L << 20 }).Prune(WideInput(), Random(64));
        Assert.EndsWith("sequential, batch 64", roomy.Calibration, StringComparison.Ordinal);
        Assert.Contains("memory limit 16 MB: batch 31 instead of 64", tight.Calibration, StringComparison.Ordinal);
        foreach (var name in new[] { "W1", "W2", "W3" })
        {
            var a = roomy.Model.Graph.FindInitializer(name)!.ToFloatArray();
            var b = tight.Model.Graph.FindInitializer(name)!.ToFloatArray();
            double diff = 0, norm = 0;
            for (int j = 0; j < a.Length; j++)
            {
                diff += (double)(a[j] - b[j]) * (a[j] - b[j]);
                norm += (double)a[j] * a[j];
            }
            Assert.True(diff <= 1e-6 * norm, $"{name}: relative change {Math.Sqrt(diff / norm):E2}");
        }
    }
}
