using Onnx;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training.Autodiff;
using Shrink.Training.Autodiff;
using Shrink.Training.Quantization;

namespace Shrink.Tests.Training.Quantization;

public sealed class QatModelTests
{
    private static void SetFloats(OnnxModel model, string name, float[] values)
    {
        var old = model.Graph.FindInitializer(name)!;
        model.Graph.SetInitializer(TensorData.FromFloats(name, old.Dims.ToArray(), values));
    }

    [Fact]
    public void Exporting_the_untrained_model_gives_back_the_ptq_model_which_onnx_runtime_fuses_as_before()
    {
        var ptqResult = QatFixtures.Quantize(QatFixtures.TinyCnn());
        var ptq = ptqResult.Model;
        var qat = QatRewriter.Rewrite(ptq);
        var exported = qat.Export(qat.Model);

        Assert.Equal(ptq.Graph.Nodes.Select(n => (n.Name, n.OpType)), exported.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        foreach (var (name, tensor) in ptq.Graph.Initializers)
        {
            var back = exported.Graph.FindInitializer(name)!;
            Assert.Equal(tensor.Type, back.Type);
            Assert.True(tensor.RawBytes.SequenceEqual(back.RawBytes), $"initializer '{name}' changed");
        }

        var x = QatFixtures.Input(4, 22);
        var training = QatFixtures.RunAsWritten(qat.Model, x);
        var written = QatFixtures.RunAsWritten(exported, x);
        for (int i = 0; i < training.Length; i++) Assert.Equal(training[i], written[i], 5);
        var fused = QatFixtures.RunOptimized(exported, x);
        // Fused integer kernels requantize their outputs in one step: a code off here and there, no more.
        double fusedDifference = training.Select((v, i) => Math.Abs(v - fused[i])).Max();
        double range = training.Max() - training.Min();
        Console.WriteLine($"fused vs fake-quant forward: max |difference| {fusedDifference:G3} (outputs span {range:G3})");
        Assert.True(fusedDifference <= 0.02 * range, $"max |difference| {fusedDifference:G3}, outputs span {range:G3}");

        var before = FusionInspector.Inspect(ptq);
        var after = FusionInspector.Inspect(exported);
        Assert.True(after.IntegerKernels > 0);
        Assert.Equal(before.IntegerKernels, after.IntegerKernels);
        Assert.Equal(ptqResult.Fusion!.IntegerKernels, after.IntegerKernels);
    }

    [Fact]
    public void Export_after_moving_weights_and_scales_writes_codes_rounded_with_the_learned_scales_and_matches_the_training_forward()
    {
        var ptq = QatFixtures.Quantize(QatFixtures.TinyCnn()).Model;
        var qat = QatRewriter.Rewrite(ptq);
        var trained = qat.Model.Clone();
        var random = new Random(5);
        foreach (var q in qat.Quantizers.Where(q => q.IsWeight))
        {
            var w = trained.Graph.FindInitializer(q.Input)!.ToFloatArray();
            var s = trained.Graph.FindInitializer(q.Scale)!.ToFloatArray();
            for (int i = 0; i < w.Length; i++) w[i] *= 1 + 0.3f * (float)(random.NextDouble() - 0.3); // some beyond the range
            SetFloats(trained, q.Input, w);
            SetFloats(trained, q.Scale, s.Select(v => v * 0.93f).ToArray());
        }
        foreach (var scale in qat.Quantizers.Where(q => !q.IsWeight).Select(q => q.Scale).Distinct())
            SetFloats(trained, scale, trained.Graph.FindInitializer(scale)!.ToFloatArray().Select(v => v * 1.07f).ToArray());
        foreach (var bias in qat.Roles.Where(r => r.Value == ParameterRole.Bias).Select(r => r.Key))
            SetFloats(trained, bias, trained.Graph.FindInitializer(bias)!.ToFloatArray().Select(v => v + 0.01f).ToArray());

        var exported = qat.Export(trained);
        int clipped = 0;
        foreach (var q in qat.Quantizers.Where(q => q.IsWeight))
        {
            var w = trained.Graph.FindInitializer(q.Input)!;
            var s = trained.Graph.FindInitializer(q.Scale)!.ToFloatArray();
            string codesName = ptq.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Outputs[0] == q.Output).Inputs[0];
            var codes = exported.Graph.FindInitializer(codesName)!.ToFloatArray();
            var values = w.ToFloatArray();
            for (int i = 0; i < values.Length; i++)
            {
                int c = q.Axis == 0 ? (int)(i / (values.Length / w.Dims[0])) : (q.Axis is null ? 0 : i % s.Length);
                float v = MathF.Round(values[i] / s[c], MidpointRounding.ToEven);
                if (Math.Abs(v) > 127) clipped++;
                Assert.Equal(Math.Clamp(v, -127, 127), codes[i]);
            }
            Assert.Equal(s, exported.Graph.FindInitializer(q.Scale)!.ToFloatArray());
        }
        Assert.True(clipped > 0, "no weight was moved beyond the range");

        var x = QatFixtures.Input(4, 23);
        var training = QatFixtures.RunAsWritten(trained, x);
        var written = QatFixtures.RunAsWritten(exported, x);
        // Biases are trained in float and rounded to int32 steps of s_in·s_w on export: agreement to float tolerance.
        for (int i = 0; i < training.Length; i++) Assert.Equal(training[i], written[i], 4);
        Assert.True(FusionInspector.Inspect(exported).IntegerKernels > 0);
    }

    [Fact]
    public void Export_refuses_a_scale_that_is_not_positive_and_a_missing_parameter()
    {
        var qat = QatRewriter.Rewrite(QatFixtures.Quantize(QatFixtures.TinyCnn()).Model);
        var scale = qat.Roles.First(r => r.Value == ParameterRole.ActivationScale).Key;
        var trained = qat.Model.Clone();
        SetFloats(trained, scale, [-0.01f]);
        var error = Assert.Throws<ShrinkException>(() => qat.Export(trained));
        Assert.Contains($"'{scale}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("positive", error.Message, StringComparison.Ordinal);

        var missing = qat.Model.Clone();
        missing.Graph.RemoveInitializer(qat.Parameters[0]);
        error = Assert.Throws<ShrinkException>(() => qat.Export(missing));
        Assert.Contains($"'{qat.Parameters[0]}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_few_sgd_steps_with_the_hints_bring_a_4_bit_model_closer_to_its_float_teacher_and_export_keeps_the_gain()
    {
        var teacher = QatFixtures.TinyCnn();
        var ptq = QatFixtures.Quantize(teacher, weightBits: 4).Model;
        var qat = QatRewriter.Rewrite(ptq, new QatOptions { WeightBits = 4 });
        var x = QatFixtures.Input(16, 24);
        var target = QatFixtures.RunAsWritten(teacher, x);
        var targetTensor = TinyModels.FloatTensor("target", [16, 3], target);
        var training = Gradients.Build(qat.Model, LossSpec.MeanSquaredError("logits"), qat.Parameters, qat.StopGradient);
        var values = qat.Parameters.ToDictionary(p => p, p => training.InitialValues[p].ToFloatArray());
        using var session = OrtRunner.Open(training.Model.ToByteArray());
        var losses = new List<double>();
        const float learningRate = 0.05f;
        for (int step = 0; step < 40; step++)
        {
            var feeds = new Dictionary<string, TensorProto> { ["x"] = x, ["target"] = targetTensor };
            foreach (var p in qat.Parameters) feeds[p] = TinyModels.FloatTensor(p, [.. training.InitialValues[p].Dims], values[p]);
            var outputs = OrtRunner.Run(session, feeds);
            losses.Add(GradientCheck.Floats(outputs[0])[0]);
            for (int k = 0; k < qat.Parameters.Count; k++)
            {
                var hint = qat.Hints[qat.Parameters[k]];
                var v = values[qat.Parameters[k]];
                var g = GradientCheck.Floats(outputs[1 + k]);
                float lr = (float)(learningRate * hint.LearningRateScale);
                for (int i = 0; i < v.Length; i++) v[i] = Math.Max(v[i] - lr * g[i], hint.Minimum ?? float.NegativeInfinity);
            }
        }
        Console.WriteLine($"QAT toy loop (MSE to the float teacher on 16 random inputs): {string.Join(" → ", losses.Where((_, i) => i % 10 == 0 || i == losses.Count - 1).Select(l => l.ToString("G4")))}");
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]:G4} → {losses[^1]:G4}");

        var trained = qat.Model.Clone();
        foreach (var (name, v) in values) SetFloats(trained, name, v);
        var exported = qat.Export(trained);
        double Mse(float[] y) => y.Select((v, i) => (double)(v - target[i]) * (v - target[i])).Average();
        double ptqError = Mse(QatFixtures.RunOptimized(ptq, x)), qatError = Mse(QatFixtures.RunOptimized(exported, x));
        Console.WriteLine($"ORT (fused) MSE to the teacher on the training batch: PTQ {ptqError:G4}, QAT {qatError:G4}");
        Assert.True(qatError < ptqError, $"PTQ {ptqError:G4}, QAT {qatError:G4}");
    }
}
