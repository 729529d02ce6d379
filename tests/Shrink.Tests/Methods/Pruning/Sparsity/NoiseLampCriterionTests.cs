using Onnx;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

public sealed class NoiseLampCriterionTests
{
    // input [batch, 8] → Gemm 8→16 (W1·s, B1·s) → Relu → Gemm 16→4 (W2/s) → output: the same function for every s > 0,
    // as a BatchNormalization scale folded into the first layer's output channels leaves it.
    private static OnnxModel TwoLayers(float s, string secondDim = "8")
    {
        var graph = new GraphProto { Name = "two" };
        graph.Input.Add(secondDim == "8" ? FloatInfo("input", "batch", 8) : FloatInfo("input", "batch", secondDim, 8));
        graph.Output.Add(secondDim == "8" ? FloatInfo("output", "batch", 4) : FloatInfo("output", "batch", secondDim, 4));
        graph.Initializer.Add(FloatTensor("W1", [8, 16], RandomFloats(8 * 16, 11).Select(v => v * s).ToArray()));
        graph.Initializer.Add(FloatTensor("B1", [16], RandomFloats(16, 12).Select(v => v * s).ToArray()));
        graph.Initializer.Add(FloatTensor("W2", [16, 4], RandomFloats(16 * 4, 13).Select(v => v / s).ToArray()));
        graph.Node.Add(Node("MatMul", ["input", "W1"], ["h"], "first"));
        graph.Node.Add(Node("Add", ["h", "B1"], ["hb"], "bias"));
        graph.Node.Add(Node("Relu", ["hb"], ["a"], "relu"));
        graph.Node.Add(Node("MatMul", ["a", "W2"], ["output"], "second"));
        return OnnxModel.FromProto(BuildModel(graph), "two");
    }

    [Fact]
    public void Scores_are_the_geometric_mean_of_the_lamp_score_and_the_output_energy_share()
    {
        float[] w = [0.5f, -2f, 1f, 0.25f];
        float[] energy = [4f, 1f];
        var s = new NoiseLampCriterion().Score(w, 2, 2, energy);
        var lamp = new LampCriterion().Score(w, 2, 2, default);
        var share = new OutputEnergyCriterion().Score(w, 2, 2, energy);
        for (int i = 0; i < w.Length; i++) Assert.Equal(Math.Sqrt(lamp[i] * share[i]), s[i], 6);
        // w²·E[x²]: 1, 4, 4, 0.0625 of 9.0625; LAMP of the largest weight (-2, alone at the top) is 1.
        Assert.Equal(Math.Sqrt(4 / 9.0625), s[1], 6);
        // Without input energies (a layer whose inputs could not be collected) the score is LAMP's.
        Assert.Equal(lamp, new NoiseLampCriterion().Score(w, 2, 2, default));
    }

    [Fact]
    public void Moving_a_scale_from_one_layer_to_the_next_changes_nothing_where_magnitude_empties_a_layer()
    {
        var options = new SparsityOptions { Sparsity = 0.6, Criterion = "noise-lamp", MeasureLayerErrors = false };
        var plain = new SparsityPruner(options).Prune(TwoLayers(1), null);
        var scaled = new SparsityPruner(options).Prune(TwoLayers(1024), null); // a power of two: every product is exact
        Assert.Equal("noise-lamp", scaled.Criterion);
        Assert.Contains("512 seeded standard-normal samples", scaled.Calibration, StringComparison.Ordinal);
        Assert.Equal(plain.Layers.Select(l => l.Sparsity), scaled.Layers.Select(l => l.Sparsity));
        for (int i = 0; i < 2; i++)
        {
            var name = i == 0 ? "W1" : "W2";
            var a = plain.Model.Graph.FindInitializer(name)!.ToFloatArray();
            var b = scaled.Model.Graph.FindInitializer(name)!.ToFloatArray();
            Assert.Equal(a.Select(v => v == 0), b.Select(v => v == 0));
        }
        Assert.All(scaled.Layers, l => Assert.InRange(l.Sparsity, 0.3, 0.9));
        // Raw |w| would take every weight of the down-scaled layer (and refuses to).
        var e = Assert.Throws<ShrinkException>(() => new SparsityPruner(options with { Criterion = "magnitude" }).Prune(TwoLayers(1024), null));
        Assert.Contains("would zero every weight of layer 'second'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_whose_inputs_noise_cannot_fill_is_ranked_by_lamp_and_the_result_says_why()
    {
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.5, Criterion = "noise-lamp", MeasureLayerErrors = false }).Prune(TwoLayers(1, secondDim: "seq"), null);
        Assert.StartsWith("lamp (noise-lamp fell back: no standard-normal inputs can be made", result.Criterion, StringComparison.Ordinal);
        Assert.Contains("seq", result.Criterion, StringComparison.Ordinal);
        Assert.Null(result.Calibration);
        var lamp = new SparsityPruner(new SparsityOptions { Sparsity = 0.5, Criterion = "lamp", MeasureLayerErrors = false }).Prune(TwoLayers(1, secondDim: "seq"), null);
        Assert.Equal(lamp.Layers.Select(l => l.Sparsity), result.Layers.Select(l => l.Sparsity));
    }

    [SharedFact(needsFashionMnist: true)]
    public void Data_free_default_on_resnet8_at_70_percent_reaches_pytorchs_global_l1_on_the_unfolded_model()
    {
        string path = Path.Combine(RepoPaths.SharedModels, "resnet8.onnx");
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.7, MeasureLayerErrors = false }).Prune(OnnxModel.Load(path), null);
        Assert.Equal("noise-lamp", result.Criterion);
        using var dir = new TempDirectory();
        string pruned = dir.File("resnet8-sparse.onnx");
        result.Model.Save(pruned);
        var preprocessing = Preprocessing.LoadSidecar(path)!;
        var evaluation = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], EvalBatchSize = 500 })
            .Evaluate(pruned, null, inputs => DataSourceFactory.Open(FashionMnist.TestImages, new DataOptions { Preprocessing = preprocessing }, inputs));
        Assert.Equal(10000, evaluation.Samples);
        // PyTorch's prune.global_unstructured (L1) on the model before BatchNormalization folding: 0.7727; LAMP 0.7623; |w| 0.102.
        Assert.True(evaluation.Accuracy >= 0.7727, $"accuracy {evaluation.Accuracy:F4} on the 10,000 test images");
    }
}
