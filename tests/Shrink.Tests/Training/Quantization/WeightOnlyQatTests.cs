using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Training;
using Shrink.Training.Quantization;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Training.Quantization;

public sealed class WeightOnlyQatTests
{
    // input [batch, 40] → MatMul 40×48 → Relu → Gemm (transB) 48→10 with bias → logits. K = 40 is not a multiple of the
    // 32-row blocks, so fc1's last block is padded.
    private static OnnxModel Mlp()
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(FloatInfo("input", "batch", 40));
        graph.Output.Add(FloatInfo("logits", "batch", 10));
        graph.Initializer.Add(FloatTensor("W1", [40, 48], RandomFloats(40 * 48, 1).Select(v => 0.3f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("W2", [10, 48], RandomFloats(10 * 48, 2).Select(v => 0.3f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("B2", [10], RandomFloats(10, 3).Select(v => 0.1f * v).ToArray()));
        graph.Node.Add(Node("MatMul", ["input", "W1"], ["h"], "fc1"));
        graph.Node.Add(Node("Relu", ["h"], ["a"], "relu"));
        var gemm = Node("Gemm", ["a", "W2", "B2"], ["logits"], "fc2");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        return OnnxModel.FromProto(BuildModel(graph), "mlp");
    }

    private static IDataSource Random(int samples, int seed = 4) =>
        DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = seed }, ModelInputs.Of(Mlp()));

    private static WeightOnlyResult Ptq(int bits, bool symmetric) =>
        new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = bits, GroupSize = 32, Method = "rtn", Symmetric = symmetric }).Quantize(Mlp(), null);

    private static float[] Run(OnnxModel model, DataBatch batch)
    {
        using var session = ModelSession.Open(model);
        return session.Run(batch)[0].Data;
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(3, true)]
    [InlineData(2, true)]
    [InlineData(4, false)]
    public void The_training_model_computes_the_ptq_model_and_exporting_it_untrained_gives_the_ptq_initializers_back(int bits, bool symmetric)
    {
        var ptq = Ptq(bits, symmetric).Model;
        Assert.Equal(2, ptq.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"));
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = bits });
        Assert.Equal(2, qat.Layers);
        Assert.DoesNotContain(qat.Model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        Assert.Equal(symmetric ? "Clip" : "Max", qat.Model.Graph.Nodes.First(n => n.OpType is "Clip" or "Max").OpType);
        Assert.Equal(5, qat.Parameters.Count); // two weights, fc2's bias, two scale vectors
        Assert.Single(qat.Roles, r => r.Value == ParameterRole.Bias);

        using var data = Random(8, seed: 9);
        var batch = data.ReadBatches(8).First();
        var expected = Run(ptq, batch);
        var actual = Run(qat.Model, batch);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"output {i}: PTQ {expected[i]}, training model {actual[i]}");

        var exported = qat.Export(qat.Model);
        Assert.Equal(ptq.Graph.Nodes.Select(n => (n.Name, n.OpType)), exported.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        foreach (var (name, tensor) in ptq.Graph.Initializers)
            Assert.True(tensor.RawBytes.SequenceEqual(exported.Graph.FindInitializer(name)!.RawBytes), $"initializer '{name}' changed");
    }

    [Fact]
    public void Export_rounds_moved_weights_with_the_learned_scales_as_the_training_forward_does()
    {
        var ptq = Ptq(4, symmetric: true).Model;
        var qat = WeightOnlyQatRewriter.Rewrite(ptq);
        var trained = qat.Model.Clone();
        var random = new Random(7);
        foreach (var p in qat.Parameters)
        {
            var t = trained.Graph.FindInitializer(p)!;
            var v = t.ToFloatArray();
            // Scales grow up to 30 %, weights move by up to a few steps (some past the grid's ends).
            for (int i = 0; i < v.Length; i++) v[i] = qat.Roles[p] == ParameterRole.WeightScale ? v[i] * (1 + 0.3f * (float)random.NextDouble()) : v[i] + 0.2f * (float)(random.NextDouble() - 0.5);
            trained.Graph.SetInitializer(TensorData.FromFloats(p, t.Dims.ToArray(), v));
        }
        var exported = qat.Export(trained);
        Assert.Equal(ptq.Graph.Initializers.Sum(t => t.Value.ByteCount), exported.Graph.Initializers.Sum(t => t.Value.ByteCount));
        using var data = Random(8, seed: 11);
        var batch = data.ReadBatches(8).First();
        var training = Run(trained, batch);
        var written = Run(exported, batch);
        var before = Run(ptq, batch);
        double scale = training.Max(Math.Abs);
        for (int i = 0; i < training.Length; i++) Assert.True(Math.Abs(training[i] - written[i]) <= 1e-4 * scale, $"output {i}: training {training[i]}, exported {written[i]}");
        Assert.True(training.Select((v, i) => Math.Abs(v - before[i])).Max() > 1e-3 * scale, "the moved values changed nothing");
    }

    [Fact]
    public void A_few_epochs_of_distillation_lower_the_distillation_loss_of_the_written_matmulnbits_model()
    {
        var original = Mlp();
        var ptq = new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = 2, GroupSize = 32, Method = "rtn" }).Quantize(original, null).Model;
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 2 });
        using var train = Random(128);
        var tuned = FineTuning.Run(qat.Model, original, qat.Parameters, train, new FineTuneOptions
        {
            Epochs = 10,
            BatchSize = 16,
            LearningRate = 1e-2,
            Hints = qat.Hints,
            StopGradient = qat.StopGradient,
        });
        var exported = qat.Export(tuned.Model);

        // The written model runs in ONNX Runtime as MatMulNBits, with the PTQ model's size.
        Assert.Equal(2, exported.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"));
        Assert.Equal(ptq.ToByteArray().Length, exported.ToByteArray().Length);
        using var check = Random(128);
        double before = HeldOutDistillation.Measure(ptq, original, check);
        double after = HeldOutDistillation.Measure(exported, original, check);
        Console.WriteLine($"distillation loss on the training data: PTQ {before:G4}, QAT {after:G4}");
        Assert.True(after < 0.9 * before, $"PTQ {before:G4}, QAT {after:G4}");
        // And on samples it did not train on.
        using var held = Random(128, seed: 21);
        Assert.True(HeldOutDistillation.Measure(exported, original, held) < HeldOutDistillation.Measure(ptq, original, held));
    }

    [Fact]
    public void Refuses_models_without_matmulnbits_and_codes_outside_the_given_grid()
    {
        var noLayers = Assert.Throws<ShrinkException>(() => WeightOnlyQatRewriter.Rewrite(Mlp()));
        Assert.Contains("no MatMulNBits", noLayers.Message, StringComparison.Ordinal);
        var ptq = Ptq(4, symmetric: true).Model;
        var grid = Assert.Throws<ShrinkException>(() => WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 2 }));
        Assert.Contains("outside the 2-bit grid", grid.Message, StringComparison.Ordinal);
        Assert.Contains("fc", grid.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsException>(() => WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 9 }));
    }
}
