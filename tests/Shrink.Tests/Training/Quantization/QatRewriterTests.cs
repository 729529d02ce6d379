using System.Runtime.InteropServices;
using Google.Protobuf;
using Shrink.Model;
using Shrink.Training.Quantization;

namespace Shrink.Tests.Training.Quantization;

public sealed class QatRewriterTests
{
    [Fact]
    public void A_quantized_tiny_cnn_becomes_a_float_model_with_fake_quantizers_that_computes_what_the_ptq_model_computes()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn()).Model;
        var x = QatFixtures.Input(4, 21);
        var qat = QatRewriter.Rewrite(ptq, new QatOptions { Sample = QatFixtures.Batch(x) });
        var graph = qat.Model.Graph;

        Assert.DoesNotContain(graph.Nodes, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        Assert.All(qat.Parameters, p => Assert.Equal(ElementType.Float, graph.FindInitializer(p)!.Type));
        var roles = qat.Roles.ToLookup(r => r.Value, r => r.Key);
        int DequantizedOf(ElementType type) => ptq.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear" && ptq.Graph.FindInitializer(n.Inputs[0])?.Type == type);
        Assert.True(DequantizedOf(ElementType.Int8) >= 2); // both convs (the planner decides about the Gemm)
        Assert.Equal(DequantizedOf(ElementType.Int8), roles[ParameterRole.Weight].Count());
        Assert.Equal(DequantizedOf(ElementType.Int32), roles[ParameterRole.Bias].Count());
        Assert.Equal(DequantizedOf(ElementType.Int8), roles[ParameterRole.WeightScale].Count());
        Assert.NotEmpty(roles[ParameterRole.ActivationScale]);
        Assert.Equal(qat.Parameters.Order(), qat.Hints.Keys.Order());
        Assert.Equal(qat.Parameters.Order(), qat.Roles.Keys.Order());
        Assert.Equal(qat.Quantizers.Count, qat.StopGradient.Count);

        // Conv weights keep their per-channel scales; the LSQ gradient scale is 1/√(N·Qp), N per channel.
        var w1 = qat.Quantizers.Single(q => q.IsWeight && graph.FindInitializer(q.Input)!.Dims.SequenceEqual([4L, 3, 3, 3]));
        Assert.Equal([4L], graph.FindInitializer(w1.Scale)!.Dims);
        Assert.Equal(0, w1.Axis);
        var hint = qat.Hints[w1.Scale];
        Assert.False(hint.Decay);
        Assert.Equal(1 / Math.Sqrt(27 * 127), hint.LearningRateScale, 9);
        Assert.True(hint.Minimum > 0 && hint.Minimum < graph.FindInitializer(w1.Scale)!.ToFloatArray().Min());
        // The input activation's N is its features per sample (3·6·6) from the sample batch.
        var input = qat.Quantizers.Single(q => !q.IsWeight && q.Input == "x");
        var inputHint = qat.Hints[input.Scale];
        Assert.Equal(1 / Math.Sqrt(108.0 * Math.Max(input.QMax - input.ZeroPoint, input.ZeroPoint - input.QMin)), inputHint.LearningRateScale, 9);

        var expected = QatFixtures.RunAsWritten(ptq, x);
        var actual = QatFixtures.RunAsWritten(qat.Model, x);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Low_bit_grids_set_the_clip_bounds()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn(), weightBits: 4, activationBits: 6).Model;
        var qat = QatRewriter.Rewrite(ptq, new QatOptions { WeightBits = 4, ActivationBits = 6 });
        Assert.All(qat.Quantizers.Where(q => q.IsWeight), q => Assert.Equal((-7, 7), (q.QMin, q.QMax)));
        // Asymmetric activations: 64 levels of the container (uint8 0..63 or int8 −32..31).
        Assert.All(qat.Quantizers.Where(q => !q.IsWeight), q => Assert.Equal(63, q.QMax - q.QMin));
        Assert.All(qat.Quantizers, q => Assert.InRange(q.ZeroPoint, q.QMin, q.QMax));
    }

    [Fact]
    public void Below_8_bits_the_clip_on_the_codes_goes_into_the_fake_quantizer_and_export_keeps_it()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn(), activationBits: 4).Model;
        var codeClips = ptq.Graph.Nodes.Count(n => n.OpType == "Clip" && ptq.Graph.Producer(n.Inputs[0])?.OpType == "QuantizeLinear");
        Assert.True(codeClips >= 2, $"{codeClips} clips on codes");
        var qat = QatRewriter.Rewrite(ptq, new QatOptions { ActivationBits = 4 });
        Assert.DoesNotContain(qat.Model.Graph.Nodes, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        Assert.All(qat.Quantizers.Where(q => !q.IsWeight), q => Assert.Equal(15, q.QMax - q.QMin));

        // Inputs 4× beyond the calibrated range: the fake quantizers clip where the PTQ model's Clips do.
        var x = QatFixtures.Input(4, 21);
        var wide = x.Clone();
        var values = MemoryMarshal.Cast<byte, float>(x.RawData.Span).ToArray().Select(v => 4 * v).ToArray();
        wide.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        var expected = QatFixtures.RunAsWritten(ptq, wide);
        var actual = QatFixtures.RunAsWritten(qat.Model, wide);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);

        Assert.Equal(ptq.ToByteArray(), qat.Export(qat.Model).ToByteArray());
    }

    [Fact]
    public void Weight_codes_beyond_the_given_bits_are_refused_naming_the_weight_and_option()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn()).Model;
        var error = Assert.Throws<ShrinkException>(() => QatRewriter.Rewrite(ptq, new QatOptions { WeightBits = 4 }));
        Assert.Contains("outside the 4-bit grid -7..7", error.Message, StringComparison.Ordinal);
        Assert.Contains("--weight-bits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_float_model_is_refused()
    {
        var error = Assert.Throws<ShrinkException>(() => QatRewriter.Rewrite(QatFixtures.TinyCnn()));
        Assert.Contains("no QuantizeLinear/DequantizeLinear", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bit_widths_outside_2_to_8_are_refused_as_options()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn()).Model;
        var error = Assert.Throws<OptionsException>(() => QatRewriter.Rewrite(ptq, new QatOptions { ActivationBits = 9 }));
        Assert.Contains("--activation-bits", error.Message, StringComparison.Ordinal);
    }
}
