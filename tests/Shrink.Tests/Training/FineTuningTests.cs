using Onnx;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using Shrink.Training;

namespace Shrink.Tests.Training;

public sealed class FineTuningTests
{
    private const int Features = 8, Hidden = 16, Classes = 4, Samples = 256;

    // Student: x → MatMul(W1) → MatMul(W2) → Add(b) → logits (two linear layers, able to represent the teacher exactly).
    private static OnnxModel Student(int seed, long? fixedBatch = null)
    {
        var graph = new GraphProto { Name = "student" };
        object batch = fixedBatch is long b ? b : "batch";
        graph.Input.Add(TinyModels.FloatInfo("x", batch, Features));
        graph.Output.Add(TinyModels.FloatInfo("logits", batch, Classes));
        graph.Initializer.Add(TinyModels.FloatTensor("W1", [Features, Hidden], TinyModels.RandomFloats(Features * Hidden, seed).Select(v => v * 0.3f).ToArray()));
        graph.Initializer.Add(TinyModels.FloatTensor("W2", [Hidden, Classes], TinyModels.RandomFloats(Hidden * Classes, seed + 1).Select(v => v * 0.3f).ToArray()));
        graph.Initializer.Add(TinyModels.FloatTensor("b", [Classes], new float[Classes]));
        graph.Node.Add(TinyModels.Node("MatMul", ["x", "W1"], ["h"], "fc1"));
        graph.Node.Add(TinyModels.Node("MatMul", ["h", "W2"], ["z"], "fc2"));
        graph.Node.Add(TinyModels.Node("Add", ["z", "b"], ["logits"], "bias"));
        return OnnxModel.FromProto(TinyModels.BuildModel(graph), "student");
    }

    // Teacher: logits = x·W* (the known solution, up to a constant per row).
    private static OnnxModel Teacher()
    {
        var graph = new GraphProto { Name = "teacher" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", Features));
        graph.Output.Add(TinyModels.FloatInfo("logits", "batch", Classes));
        graph.Initializer.Add(TinyModels.FloatTensor("W", [Features, Classes], TinyModels.RandomFloats(Features * Classes, 77).Select(v => v * 2).ToArray()));
        graph.Node.Add(TinyModels.Node("MatMul", ["x", "W"], ["logits"], "fc"));
        return OnnxModel.FromProto(TinyModels.BuildModel(graph), "teacher");
    }

    private static float[] Rows() => TinyModels.RandomFloats(Samples * Features, 5);

    private static float[] Run(OnnxModel model, float[] rows)
    {
        using var session = ModelSession.Open(model);
        return session.Run(new Shrink.Data.DataBatch([new Shrink.Data.BatchTensor("x", ElementType.Float, [rows.Length / Features, Features], rows)], rows.Length / Features, null))[0].Data;
    }

    private static int[] ArgMax(float[] logits) =>
        [.. Enumerable.Range(0, logits.Length / Classes).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * Classes, Classes)))];

    private static float[] Softmax(float[] logits)
    {
        var p = new float[logits.Length];
        for (int i = 0; i < logits.Length; i += Classes) System.Numerics.Tensors.TensorPrimitives.SoftMax(logits.AsSpan(i, Classes), p.AsSpan(i, Classes));
        return p;
    }

    private static readonly FineTuneOptions Options = new() { Epochs = 30, BatchSize = 32, LearningRate = 0.02, ShuffleBuffer = 64 };

    [Fact]
    public void Distillation_trains_a_two_layer_student_to_the_teachers_function()
    {
        var rows = Rows();
        using var data = new ArrayDataSource("x", Features, rows, null);
        var student = Student(3);
        var teacher = Teacher();
        var result = FineTuning.Run(student, teacher, FineTuning.TrainableParameters(student), data, Options);
        Assert.Equal(["W1", "W2", "b"], result.Parameters);
        Assert.True(result.Epochs[^1].MeanLoss < result.Epochs[0].MeanLoss / 10, $"loss {result.Epochs[0].MeanLoss} → {result.Epochs[^1].MeanLoss}");
        var want = Softmax(Run(teacher, rows));
        var got = Softmax(Run(result.Model, rows));
        float worst = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 0.05f, $"largest probability difference {worst}");
        var before = Softmax(Run(student, rows));
        Assert.True(want.Zip(before, (a, b) => Math.Abs(a - b)).Max() > 0.3f); // it was far from it
        // The student given is not modified.
        Assert.Equal(Student(3).Graph.FindInitializer("W1")!.ToFloatArray(), student.Graph.FindInitializer("W1")!.ToFloatArray());
    }

    [Fact]
    public void Without_a_teacher_cross_entropy_with_labels_fits_them()
    {
        var rows = Rows();
        var labels = ArgMax(Run(Teacher(), rows));
        using var data = new ArrayDataSource("x", Features, rows, labels);
        var result = FineTuning.Run(Student(3), null, ["W1", "W2", "b"], data, Options, evaluate: new EpochMetric("accuracy", false, m => HeldOutAccuracy.Measure(m, data)));
        Assert.Equal("cross-entropy with the labels", result.Loss);
        Assert.True(result.InitialMetric < 0.6, $"accuracy before {result.InitialMetric}");
        Assert.True(result.Epochs[^1].Metric > 0.95, $"accuracy after {result.Epochs[^1].Metric}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_other_weights()
    {
        var rows = Rows();
        using var data = new ArrayDataSource("x", Features, rows, null);
        var options = Options with { Epochs = 2 };
        float[] Train(int seed) => FineTuning.Run(Student(3), Teacher(), ["W1", "W2", "b"], data, options with { Seed = seed }).Model.Graph.FindInitializer("W1")!.ToFloatArray();
        Assert.Equal(Train(1), Train(1));
        Assert.NotEqual(Train(1), Train(2));
    }

    [Fact]
    public void Kept_zeros_stay_zero_and_other_weights_move()
    {
        var student = Student(3);
        var w1 = student.Graph.FindInitializer("W1")!.ToFloatArray();
        for (int i = 0; i < w1.Length; i += 2) w1[i] = 0;
        student.Graph.SetInitializer(TensorData.FromFloats("W1", [Features, Hidden], w1));
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var hints = new Dictionary<string, ParameterHint> { ["W1"] = new() { KeepZeros = true } };
        var trained = FineTuning.Run(student, Teacher(), ["W1", "W2"], data, Options with { Epochs = 3, Hints = hints }).Model.Graph.FindInitializer("W1")!.ToFloatArray();
        for (int i = 0; i < w1.Length; i++)
        {
            if (i % 2 == 0) Assert.Equal(0f, trained[i]);
            else Assert.NotEqual(w1[i], trained[i]);
        }
    }

    [Fact]
    public void A_lower_bound_hint_and_a_learning_rate_scale_are_applied()
    {
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var hints = new Dictionary<string, ParameterHint> { ["b"] = new() { Minimum = 0.5f }, ["W2"] = new() { LearningRateScale = 0 } };
        var model = FineTuning.Run(Student(3), Teacher(), ["W1", "W2", "b"], data, Options with { Epochs = 2, Hints = hints }).Model;
        Assert.All(model.Graph.FindInitializer("b")!.ToFloatArray(), v => Assert.True(v >= 0.5f));
        Assert.Equal(Student(3).Graph.FindInitializer("W2")!.ToFloatArray(), model.Graph.FindInitializer("W2")!.ToFloatArray());
    }

    [Fact]
    public void Checkpoints_are_written_each_epoch_and_load_in_onnx_runtime()
    {
        using var dir = new TempDirectory();
        string checkpoint = Path.Combine(dir.Path, "checkpoint.onnx");
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var result = FineTuning.Run(Student(3), Teacher(), ["W1", "W2", "b"], data, Options with { Epochs = 2, CheckpointPath = checkpoint });
        var saved = OnnxModel.Load(checkpoint);
        Assert.Equal(result.Model.Graph.FindInitializer("W2")!.ToFloatArray(), saved.Graph.FindInitializer("W2")!.ToFloatArray());
        Assert.Equal(Run(result.Model, Rows()), Run(saved, Rows()));
    }

    [Fact]
    public void A_metric_target_stops_early_and_says_so()
    {
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var result = FineTuning.Run(Student(3), Teacher(), ["W1"], data, Options with { Epochs = 5, StopAtMetric = 0.5 }, evaluate: new EpochMetric("constant", false, _ => 0.75));
        Assert.Single(result.Epochs);
        Assert.Contains(result.Notes, n => n.Contains("stopped after epoch 1 of 5", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fixed_batch_model_trains_at_its_batch_and_says_so()
    {
        using var data = new ArrayDataSource("x", Features, Rows()[..(40 * Features)], null);
        var result = FineTuning.Run(Student(3, fixedBatch: 1), Teacher(), ["W1", "W2", "b"], data, Options with { Epochs = 1 });
        Assert.Equal(40, result.Epochs[0].Steps);
        Assert.Contains(result.Notes, n => n.Contains("fixed at 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Refusals_name_what_is_missing_before_any_work()
    {
        using var unlabelled = new ArrayDataSource("x", Features, Rows(), null);
        var e = Assert.Throws<ShrinkException>(() => FineTuning.Run(Student(3), null, ["W1"], unlabelled, Options));
        Assert.Contains("needs labels", e.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsException>(() => FineTuning.Run(Student(3), Teacher(), ["W1"], unlabelled, Options with { StopAtMetric = 0.9 }));
        var bad = Assert.Throws<OptionsException>(() => FineTuning.Run(Student(3), Teacher(), ["W1"], unlabelled, Options with { Optimizer = "lion" }));
        Assert.Contains("--optimizer", bad.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsException>(() => FineTuning.Run(Student(3), Teacher(), ["W1"], unlabelled, Options with { BatchSize = 0 }));
        var missing = Assert.Throws<ShrinkException>(() => FineTuning.Run(Student(3), Teacher(), ["nope"], unlabelled, Options));
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loss_that_stops_being_finite_is_refused_with_the_step()
    {
        var rows = Rows().Select(v => v * 1e18f).ToArray();
        using var data = new ArrayDataSource("x", Features, rows, null);
        var e = Assert.Throws<ShrinkException>(() => FineTuning.Run(Student(3), Teacher(), ["W1", "W2", "b"], data, Options with { Optimizer = "sgd", LearningRate = 10 }));
        Assert.Contains("diverged", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_best_epoch_by_the_metric_is_the_result_and_an_untrained_student_is_kept_when_no_epoch_improves()
    {
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var student = Student(3);
        var teacher = Teacher();
        int calls = 0;
        // A metric that peaks after epoch 2 of 3.
        double[] values = [0.1, 0.5, 0.9, 0.7];
        var peaked = FineTuning.Run(student, teacher, ["W1", "W2", "b"], data, Options with { Epochs = 3, Seed = 4 }, evaluate: new EpochMetric("m", false, _ => values[calls++]));
        Assert.Equal(2, peaked.BestEpoch);
        Assert.Contains(peaked.Notes, n => n.Contains("epoch 2 had the best m", StringComparison.Ordinal));
        var two = FineTuning.Run(student, teacher, ["W1", "W2", "b"], data, Options with { Epochs = 2, Seed = 4 });
        Assert.NotEqual(two.Model.Graph.FindInitializer("W1")!.ToFloatArray(), peaked.Model.Graph.FindInitializer("W1")!.ToFloatArray()); // cosine over 3 epochs differs
        // Held-out distillation loss, lower is better: training lowers it, so the last epoch is kept.
        var kl = new EpochMetric("kl", true, m => HeldOutDistillation.Measure(m, teacher, data));
        var improving = FineTuning.Run(student, teacher, ["W1", "W2", "b"], data, Options with { Epochs = 2 }, evaluate: kl);
        Assert.Equal(2, improving.BestEpoch);
        Assert.True(improving.Epochs[^1].Metric < improving.InitialMetric / 2, $"held-out KL {improving.InitialMetric} → {improving.Epochs[^1].Metric}");
        // A metric that only gets worse: the untrained student comes back, said.
        calls = 0;
        double[] worse = [0.9, 0.5, 0.4];
        var kept = FineTuning.Run(student, teacher, ["W1", "W2", "b"], data, Options with { Epochs = 2 }, evaluate: new EpochMetric("m", false, _ => worse[calls++]));
        Assert.Equal(0, kept.BestEpoch);
        Assert.Equal(student.Graph.FindInitializer("W1")!.ToFloatArray(), kept.Model.Graph.FindInitializer("W1")!.ToFloatArray());
        Assert.Contains(kept.Notes, n => n.Contains("returned untrained", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_named_parameters_weights_in_constant_nodes_and_fp16_behind_casts_are_prepared_and_trained()
    {
        var proto = Student(3).Proto.Clone();
        var w1 = proto.Graph.Initializer.Single(t => t.Name == "W1");
        var w2 = proto.Graph.Initializer.Single(t => t.Name == "W2");
        proto.Graph.Initializer.Remove(w1);
        proto.Graph.Initializer.Remove(w2);
        proto.Graph.Node.Insert(0, TinyModels.ConstantNode("W1", w1, "const_W1"));
        // W2 stored in half precision behind a Cast to float, as fp16 exports do.
        var half = TinyModels.RawTensor("W2_fp16", (int)TensorProto.Types.DataType.Float16, [Hidden, Classes],
            [.. new TensorData(w2).ToFloatArray().SelectMany(v => BitConverter.GetBytes((Half)v))]);
        proto.Graph.Initializer.Add(half);
        var cast = TinyModels.Node("Cast", ["W2_fp16"], ["W2"], "cast_W2");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        proto.Graph.Node.Insert(0, cast);
        var student = OnnxModel.FromProto(proto, "exported");
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var result = FineTuning.Run(student, Teacher(), null, data, Options with { Epochs = 3 });
        Assert.Equal(["W1", "W2", "b"], result.Parameters);
        Assert.Contains(result.Notes, n => n.StartsWith("prepared: promote-constants", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n.StartsWith("prepared: fold-constants", StringComparison.Ordinal));
        Assert.True(result.Epochs[^1].MeanLoss < result.Epochs[0].MeanLoss, $"loss {result.Epochs[0].MeanLoss} → {result.Epochs[^1].MeanLoss}");
        Assert.Equal(Samples * Classes, Run(result.Model, Rows()).Length); // the trained model runs
    }

    [Fact]
    public void Held_out_distillation_runs_the_teacher_once_with_a_cache_and_measures_the_same()
    {
        using var data = new ArrayDataSource("x", Features, Rows(), null);
        var student = Student(3);
        var teacher = Teacher();
        double plain = HeldOutDistillation.Measure(student, teacher, data, batchSize: 64);
        var cache = new TeacherOutputCache();
        double first = HeldOutDistillation.Measure(student, teacher, data, batchSize: 64, teacherOutputs: cache);
        Assert.True(cache.Complete);
        Assert.Equal(Samples / 64, cache.TeacherRuns);
        double second = HeldOutDistillation.Measure(student, teacher, data, batchSize: 64, teacherOutputs: cache);
        Assert.Equal(Samples / 64, cache.TeacherRuns); // the teacher did not run again
        Assert.Equal(plain, first);
        Assert.Equal(plain, second);
        // A cache too small for the outputs is dropped: the teacher runs every time, and the figure is the same.
        var tiny = new TeacherOutputCache(budgetBytes: 64);
        Assert.Equal(plain, HeldOutDistillation.Measure(student, teacher, data, batchSize: 64, teacherOutputs: tiny));
        Assert.Equal(plain, HeldOutDistillation.Measure(student, teacher, data, batchSize: 64, teacherOutputs: tiny));
        Assert.False(tiny.Complete);
        Assert.Equal(2 * Samples / 64, tiny.TeacherRuns);
    }
}
