using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Autodiff;
using Shrink.Training.Quantization;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Training.Quantization;

/// <summary>
/// The gradients of <see cref="QatRewriter"/>'s fake quantizers through <see cref="Gradients.Build"/> with their
/// stop-gradient values: the straight-through estimator for the quantized value and LSQ's gradient for the scale.
/// </summary>
public sealed class FakeQuantizerGradientTests
{
    // W_quantized (int8 [2, 4], per channel on axis 0, scales 0.1 and 0.05) → DequantizeLinear → y
    private static OnnxModel WeightModel()
    {
        var graph = new GraphProto { Name = "weight" };
        graph.Initializer.Add(RawTensor("W_quantized", (int)TensorProto.Types.DataType.Int8, [2, 4], [.. new sbyte[] { 10, -3, 127, 0, 5, -127, 64, 1 }.Select(v => (byte)v)]));
        graph.Initializer.Add(FloatTensor("W_scale", [2], [0.1f, 0.05f]));
        graph.Initializer.Add(RawTensor("W_zero_point", (int)TensorProto.Types.DataType.Int8, [2], [0, 0]));
        var dq = Node("DequantizeLinear", ["W_quantized", "W_scale", "W_zero_point"], ["y"], "dq");
        dq.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(dq);
        graph.Output.Add(FloatInfo("y", 2, 4));
        return OnnxModel.FromProto(BuildModel(graph), "weight");
    }

    // x [1, 6] → QuantizeLinear(scale 0.02, uint8 zero point 10) → DequantizeLinear → y
    private static OnnxModel ActivationModel()
    {
        var graph = new GraphProto { Name = "activation" };
        graph.Input.Add(FloatInfo("x", 1, 6));
        graph.Initializer.Add(FloatTensor("x_scale", [], [0.02f]));
        graph.Initializer.Add(RawTensor("x_zero_point", (int)TensorProto.Types.DataType.Uint8, [], [10]));
        graph.Node.Add(Node("QuantizeLinear", ["x", "x_scale", "x_zero_point"], ["x_quantized"], "q"));
        graph.Node.Add(Node("DequantizeLinear", ["x_quantized", "x_scale", "x_zero_point"], ["y"], "dq"));
        graph.Output.Add(FloatInfo("y", 1, 6));
        return OnnxModel.FromProto(BuildModel(graph), "activation");
    }

    private static IReadOnlyList<OutputTensor> Run(QatModel qat, long[] outputShape, Dictionary<string, TensorProto> feeds)
    {
        var training = Gradients.Build(qat.Model, new WeightedSumLoss("y", outputShape, 7), qat.Parameters, qat.StopGradient);
        foreach (var p in qat.Parameters) feeds.TryAdd(p, training.InitialValues[p].Proto);
        return OrtRunner.RunOnce(training.Model.ToByteArray(), feeds);
    }

    [Fact]
    public void Weight_gradients_are_straight_through_inside_the_range_zero_outside_and_the_scale_gets_lsq_s_gradient()
    {
        var qat = QatRewriter.Rewrite(WeightModel());
        Assert.Equal(["W", "W_scale"], qat.Parameters);
        var q = qat.Quantizers.Single();
        Assert.Equal((-127, 127, 0), (q.QMin, q.QMax, q.Axis));

        // Weights moved: two beyond ±127 steps, one exactly on the edge, the rest inside off the grid.
        float[] w = [1.04f, -0.33f, 13.1f, 0.02f, 0.26f, -6.35f, 3.2f, -7f];
        float[] s = [0.1f, 0.05f];
        var outputs = Run(qat, [2, 4], new Dictionary<string, TensorProto> { ["W"] = FloatTensor("W", [2, 4], w) });
        var r = RandomFloats(8, 7);
        var gradW = GradientCheck.Floats(outputs[1]);
        var gradS = GradientCheck.Floats(outputs[2]);

        var expectedS = new double[2];
        for (int i = 0; i < 8; i++)
        {
            int c = i / 4;
            float v = w[i] / s[c];
            bool inside = v >= -127 && v <= 127;
            Assert.Equal(inside ? r[i] : 0f, gradW[i], 6);
            expectedS[c] += r[i] * (inside ? MathF.Round(v, MidpointRounding.ToEven) - v : Math.Sign(v) * 127);
        }
        Assert.Equal(0f, gradW[2]);  // 131 steps: clipped
        Assert.Equal(0f, gradW[7]);  // −140 steps: clipped
        Assert.Equal(r[5], gradW[5], 6); // −127 steps exactly: on the edge, inside
        Assert.Equal(expectedS[0], gradS[0], 4);
        Assert.Equal(expectedS[1], gradS[1], 4);
    }

    [Fact]
    public void Activation_scale_gradient_is_round_v_minus_v_inside_and_the_zero_point_shifted_bound_outside()
    {
        var qat = QatRewriter.Rewrite(ActivationModel());
        Assert.Equal(["x_scale"], qat.Parameters);
        var q = qat.Quantizers.Single();
        Assert.Equal((0, 255, 10), (q.QMin, q.QMax, q.ZeroPoint));

        // The range is (0 − 10)·0.02 = −0.2 to (255 − 10)·0.02 = 4.9.
        float[] x = [-0.5f, -0.1f, 0.013f, 1.0f, 3.333f, 6f];
        var outputs = Run(qat, [1, 6], new Dictionary<string, TensorProto> { ["x"] = FloatTensor("x", [1, 6], x) });
        var y = GradientCheck.Floats(outputs[0]);
        var r = RandomFloats(6, 7);
        double expected = 0, loss = 0;
        for (int i = 0; i < 6; i++)
        {
            float v = x[i] / 0.02f;
            float c = Math.Clamp(v, -10f, 245f);
            float code = MathF.Round(c, MidpointRounding.ToEven);
            loss += r[i] * code * 0.02f;
            expected += r[i] * (v < -10 || v > 245 ? c : code - v);
        }
        Assert.Equal(loss, y[0], 4);
        Assert.Equal(expected, GradientCheck.Floats(outputs[1])[0], 4);
    }
}
