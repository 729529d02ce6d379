using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Training;
using Shrink.Training.Quantization;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Training.Quantization;

/// <summary>
/// Weight-only QAT of the layers PTQ writes as DequantizeLinear (Conv kernels per channel or in blocks, MatMul groups
/// MatMulNBits cannot carry), and of mixed-precision models with a width per layer.
/// </summary>
public sealed class DequantizeWeightQatTests
{
    // x [batch, 1, 8, 8] → Conv 1→4 3×3 pad 1 (+b) → Relu → Conv 4→48 3×3 pad 1 (+b) → Relu → GlobalAveragePool → Flatten
    // → MatMul 48×10 → logits. conv1's reduction is 9 (one group per channel whatever the group size); conv2's is 36,
    // so blocks of 24 or 32 leave a short last block; fc's is 48 (blocks of 24 are not a MatMulNBits block).
    private static OnnxModel Cnn()
    {
        var graph = new GraphProto { Name = "cnn" };
        graph.Input.Add(FloatInfo("x", "batch", 1, 8, 8));
        graph.Output.Add(FloatInfo("logits", "batch", 10));
        graph.Initializer.Add(FloatTensor("W1", [4, 1, 3, 3], RandomFloats(36, 1).Select(v => 0.6f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("b1", [4], RandomFloats(4, 2).Select(v => 0.1f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("W2", [48, 4, 3, 3], RandomFloats(48 * 36, 3).Select(v => 0.3f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("b2", [48], RandomFloats(48, 4).Select(v => 0.1f * v).ToArray()));
        graph.Initializer.Add(FloatTensor("W3", [48, 10], RandomFloats(480, 5).Select(v => 0.4f * v).ToArray()));
        foreach (var (name, input, weight, bias, output) in new[] { ("conv1", "x", "W1", "b1", "c1"), ("conv2", "r1", "W2", "b2", "c2") })
        {
            var conv = Node("Conv", [input, weight, bias], [output], name);
            conv.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
            graph.Node.Add(conv);
            graph.Node.Add(Node("Relu", [output], [output == "c1" ? "r1" : "r2"], name + "_relu"));
        }
        graph.Node.Add(Node("GlobalAveragePool", ["r2"], ["pooled"], "pool"));
        graph.Node.Add(Node("Flatten", ["pooled"], ["features"], "flatten"));
        graph.Node.Add(Node("MatMul", ["features", "W3"], ["logits"], "fc"));
        return OnnxModel.FromProto(BuildModel(graph), "cnn");
    }

    private static IDataSource Random(int samples, int seed) =>
        DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = seed }, ModelInputs.Of(Cnn()));

    private static OnnxModel Ptq(int bits, bool symmetric, int groupSize, IReadOnlyDictionary<string, int>? layerBits = null) =>
        new WeightOnlyQuantizer(new WeightOnlyOptions { Bits = bits, GroupSize = groupSize, Method = "rtn", Symmetric = symmetric, LayerBits = layerBits ?? new Dictionary<string, int>() })
            .Quantize(Cnn(), null).Model;

    private static float[] Run(OnnxModel model, DataBatch batch)
    {
        using var session = ModelSession.Open(model);
        return session.Run(batch)[0].Data;
    }


    private static void AssertSameInitializers(OnnxModel expected, OnnxModel actual)
    {
        Assert.Equal(expected.Graph.Nodes.Select(n => (n.Name, n.OpType)), actual.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        foreach (var (name, tensor) in expected.Graph.Initializers)
        {
            var other = actual.Graph.FindInitializer(name)!;
            Assert.Equal(tensor.Type, other.Type);
            Assert.True(tensor.RawBytes.SequenceEqual(other.RawBytes), $"initializer '{name}' changed");
        }
    }


    [Theory]
    [InlineData(4, true, 32, 2)]   // conv1 per channel, conv2 blocks of 32 (padded), fc MatMulNBits
    [InlineData(3, true, 24, 3)]   // 3-bit codes in int4; conv2 and fc in blocks of 24 (fc along axis 0 of [K, N])
    [InlineData(2, false, 24, 3)]  // uint4 codes with a zero point per channel or block
    [InlineData(8, true, 0, 2)]    // int8 per channel
    [InlineData(4, false, 0, 2)]
    public void Dequantize_linear_weights_are_trained_and_the_training_model_computes_the_ptq_model(int bits, bool symmetric, int groupSize, int dequantizeLayers)
    {
        var ptq = Ptq(bits, symmetric, groupSize);
        Assert.Equal(dequantizeLayers, ptq.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear"));
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = bits });
        Assert.Equal(dequantizeLayers, qat.DequantizeLayers);
        Assert.Equal(3 - dequantizeLayers, qat.Layers);
        Assert.Equal(0, qat.FrozenLayers);
        Assert.DoesNotContain(qat.Model.Graph.Nodes, n => n.OpType is "DequantizeLinear" or "MatMulNBits");
        Assert.Equal(3, qat.Roles.Count(r => r.Value == ParameterRole.WeightScale));

        using var data = Random(8, seed: 9);
        var batch = data.ReadBatches(8).First();
        QatFixtures.AssertClose(Run(ptq, batch), Run(qat.Model, batch), "PTQ, training model");

        // Exported untrained, it is the PTQ model byte for byte.
        AssertSameInitializers(ptq, qat.Export(qat.Model));

        // Exported after moving every value, the written model computes what the training model computes.
        var trained = QatFixtures.Moved(qat, seed: 7);
        var exported = qat.Export(trained);
        Assert.Equal(ptq.ToByteArray().Length, exported.ToByteArray().Length);
        var training = Run(trained, batch);
        QatFixtures.AssertClose(training, Run(exported, batch), "training, exported");
        var before = Run(ptq, batch);
        Assert.True(training.Select((v, i) => Math.Abs(v - before[i])).Max() > 1e-3 * training.Max(Math.Abs), "the moved values changed nothing");
    }

    [Fact]
    public void Mixed_precision_models_are_read_at_each_layers_own_width()
    {
        var layerBits = new Dictionary<string, int> { ["conv1"] = 8, ["conv2"] = 2, ["fc"] = 3 };
        var ptq = Ptq(4, symmetric: true, groupSize: 32, layerBits);
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 8, LayerBits = layerBits });
        Assert.Equal(2, qat.DequantizeLayers);
        Assert.Equal(1, qat.Layers);
        // Each layer's fake quantizer clips to its own grid: 8-bit −128..127, 2-bit −2..1, 3-bit −4..3.
        var bounds = qat.Model.Graph.Nodes.Where(n => n.OpType == "Clip").Select(n => (qat.Model.Graph.FindInitializer(n.Inputs[1])!.ToFloatArray()[0], qat.Model.Graph.FindInitializer(n.Inputs[2])!.ToFloatArray()[0])).ToHashSet();
        Assert.Equal(new HashSet<(float, float)> { (-128, 127), (-2, 1), (-4, 3) }, bounds);

        using var data = Random(8, seed: 5);
        var batch = data.ReadBatches(8).First();
        QatFixtures.AssertClose(Run(ptq, batch), Run(qat.Model, batch), "PTQ, training model");
        AssertSameInitializers(ptq, qat.Export(qat.Model));
        var trained = QatFixtures.Moved(qat, seed: 3);
        QatFixtures.AssertClose(Run(trained, batch), Run(qat.Export(trained), batch), "training, exported");

        // Read at one width for all, the 8- and 3-bit layers' codes fall outside the 2-bit grid: refused, naming the node.
        var wrong = Assert.Throws<ShrinkException>(() => WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 2 }));
        Assert.Contains("outside the 2-bit grid", wrong.Message, StringComparison.Ordinal);
        Assert.True(wrong.Message.Contains("'conv1", StringComparison.Ordinal) || wrong.Message.Contains("'fc'", StringComparison.Ordinal), wrong.Message);
        Assert.Throws<OptionsException>(() => WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { LayerBits = new Dictionary<string, int> { ["fc"] = 9 } }));
    }

    [Fact]
    public void Distillation_trains_the_convolutions_and_lowers_the_held_out_loss_of_the_written_model()
    {
        var original = Cnn();
        var ptq = Ptq(2, symmetric: true, groupSize: 24);
        var qat = WeightOnlyQatRewriter.Rewrite(ptq, new WeightOnlyQatOptions { Bits = 2 });
        using var train = Random(128, seed: 4);
        var tuned = FineTuning.Run(qat.Model, original, qat.Parameters, train, new FineTuneOptions
        {
            Epochs = 10,
            BatchSize = 16,
            LearningRate = 1e-2,
            Hints = qat.Hints,
            StopGradient = qat.StopGradient,
        });
        var exported = qat.Export(tuned.Model);

        // The convolutions' codes moved, and the written model keeps the PTQ layout and size.
        var convCodes = ptq.Graph.Nodes.Where(n => n.OpType == "DequantizeLinear").Select(n => n.Inputs[0]).ToList();
        Assert.Contains(convCodes, name => !ptq.Graph.FindInitializer(name)!.RawBytes.SequenceEqual(exported.Graph.FindInitializer(name)!.RawBytes));
        Assert.Equal(ptq.Graph.Nodes.Select(n => n.OpType), exported.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(ptq.ToByteArray().Length, exported.ToByteArray().Length);

        using var held = Random(128, seed: 21);
        double before = HeldOutDistillation.Measure(ptq, original, held);
        double after = HeldOutDistillation.Measure(exported, original, held);
        Console.WriteLine($"held-out distillation loss: PTQ {before:G4}, QAT {after:G4}");
        Assert.True(after < 0.9 * before, $"PTQ {before:G4}, QAT {after:G4}");
    }
}
