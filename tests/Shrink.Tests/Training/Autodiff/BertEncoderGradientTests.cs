using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Training.Autodiff;

/// <summary>
/// A BERT-style encoder (<see cref="Shrink.Tests.Training.TinyBertEncoder"/>: Gather embeddings, LayerNorm, attention with
/// the additive padding mask, Softmax, Erf-GELU) differentiates with the existing rules, and every weight's gradient
/// matches central finite differences.
/// </summary>
public sealed class BertEncoderGradientTests
{
    private static TensorProto Ints(string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return TinyModels.RawTensor(name, TinyModels.Int64, [2, Shrink.Tests.Training.TinyBertEncoder.Sequence], bytes);
    }

    [Fact]
    public void Every_weight_of_a_bert_encoder_with_a_padding_mask_gets_the_finite_difference_gradient()
    {
        var model = Shrink.Tests.Training.TinyBertEncoder.Build();
        // Two sequences of 8: the second has its last three positions padded (mask 0) and token type 1 from position 4.
        var inputs = new Dictionary<string, TensorProto>(StringComparer.Ordinal)
        {
            ["input_ids"] = Ints("input_ids", [3, 7, 1, 30, 12, 5, 9, 2, 4, 4, 17, 25, 8, 0, 0, 0]),
            ["attention_mask"] = Ints("attention_mask", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
            ["token_type_ids"] = Ints("token_type_ids", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]),
        };
        var parameters = model.Graph.Initializer.Where(t => t.DataType == TinyModels.Float && t.Dims.Count > 0).Select(t => t.Name).ToArray();
        Assert.Equal(21, parameters.Length); // 3 embedding tables, 3 LayerNorms × 2, 6 linear layers × 2
        double worst = GradientCheck.Check(model, parameters, inputs, loss: null, samples: 6);
        Assert.True(worst < GradientCheck.Tolerance, $"worst relative error {worst}");
    }
}
