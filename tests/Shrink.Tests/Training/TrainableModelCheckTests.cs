using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.Methods.Pruning;
using Shrink.Tests.TestSupport;
using Shrink.Training;

namespace Shrink.Tests.Training;

public sealed class TrainableModelCheckTests
{
    [Fact]
    public void A_decoder_with_a_kv_cache_is_refused_before_training_naming_a_cache_input()
    {
        var decoder = OnnxModel.FromProto(KvCacheAttentionFixtures.Decoder(), "kv");
        var e = Assert.Throws<ShrinkException>(() => TrainableModelCheck.RefuseKvCache(decoder, "fine-tuning"));
        Assert.Contains("KV cache", e.Message, StringComparison.Ordinal);
        Assert.Contains(decoder.Graph.Inputs.First(i => i.Name.Contains("past", StringComparison.Ordinal)).Name, e.Message, StringComparison.Ordinal);

        // The library's trainer refuses it too, before reading any data.
        var inputs = Shrink.Runtime.ModelInputs.Of(decoder);
        var shapes = inputs.ToDictionary(i => i.Name, i => i.Dims.Select(d => d ?? 2).ToArray(), StringComparer.Ordinal);
        using var data = new RandomDataSource(inputs, shapes, 8, seed: 0);
        e = Assert.Throws<ShrinkException>(() => FineTuning.Run(decoder, decoder, null, data, new FineTuneOptions()));
        Assert.Contains("KV cache", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_a_cache_passes()
    {
        TrainableModelCheck.RefuseKvCache(OnnxModel.FromProto(TinyModels.BuildModel(SimpleGraph()), "plain"), "fine-tuning");
    }

    private static Onnx.GraphProto SimpleGraph()
    {
        var g = new Onnx.GraphProto { Name = "plain" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 4));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 2));
        g.Initializer.Add(TinyModels.FloatTensor("w", [4, 2], TinyModels.RandomFloats(8, 1)));
        g.Node.Add(TinyModels.Node("MatMul", ["x", "w"], ["y"], "mm"));
        return g;
    }
}
