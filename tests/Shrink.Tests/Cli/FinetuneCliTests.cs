using System.Text.Json;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink finetune</c> and <c>prune --finetune</c> on the shipped sample (cnn_small and 1,000 Fashion-MNIST test images) as a user runs them.</summary>
public sealed class FinetuneCliTests
{
    private static string Images => ShrinkCli.SampleImages;

    [Fact]
    public void Prune_then_finetune_by_distillation_writes_a_smaller_model_that_runs_with_the_epoch_table()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "pruned.onnx"), json = Path.Combine(dir.Path, "r.json"), checkpoint = Path.Combine(dir.Path, "ckpt.onnx");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.5", "--data", Images, "--samples", "256",
            "--finetune", "--epochs", "2", "--train-samples", "256", "--train-batch", "32", "--checkpoint", checkpoint, "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("Fine-tuning after pruning", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("KL distillation", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("train epoch 2/2", r.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var history = doc.RootElement.GetProperty("fine_tune").GetProperty("history");
        Assert.Equal(2, history.GetArrayLength());
        Assert.True(history[1].GetProperty("mean_loss").GetDouble() < history[0].GetProperty("mean_loss").GetDouble());
        // Channels stay removed: the output is as small as pruning made it, and it loads in ONNX Runtime.
        Assert.True(new FileInfo(output).Length < new FileInfo(ShrinkCli.Sample).Length * 0.7);
        using var session = Shrink.Runtime.ModelSession.Open(output);
        Assert.True(File.Exists(checkpoint));
    }

    [Fact]
    public void Finetune_with_labels_and_no_teacher_reports_accuracy_per_epoch()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "tuned.onnx");
        var r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--epochs", "1", "--train-samples", "128", "--lr", "0.0001",
            "--eval-data", Images, "--eval-samples", "200", "--eval-batch", "8");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("cross-entropy with the labels", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("before", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("top-1 accuracy on the evaluation data", r.Stdout, StringComparison.Ordinal);
        var trained = OnnxModel.Load(output);
        var original = OnnxModel.Load(ShrinkCli.Sample);
        var name = original.Graph.Initializers.Values.First(t => t.Type == ElementType.Float && t.ElementCount > 100).Name;
        Assert.NotEqual(original.Graph.FindInitializer(name)!.ToFloatArray(), trained.Graph.FindInitializer(name)!.ToFloatArray());
    }

    [Fact]
    public void Recompute_trains_the_same_model_and_says_how_many_values_it_recomputes()
    {
        using var dir = new TempDirectory();
        string kept = Path.Combine(dir.Path, "kept.onnx"), recomputed = Path.Combine(dir.Path, "recomputed.onnx");
        string[] common = ["--data", Images, "--epochs", "1", "--train-samples", "64", "--train-batch", "32", "--lr", "0.0001"];
        var a = ShrinkCli.Run(["finetune", ShrinkCli.Sample, "-o", kept, .. common]);
        var b = ShrinkCli.Run(["finetune", ShrinkCli.Sample, "-o", recomputed, .. common, "--recompute"]);
        Assert.True(a.ExitCode == 0, a.Stderr + a.Stdout);
        Assert.True(b.ExitCode == 0, b.Stderr + b.Stdout);
        var note = System.Text.RegularExpressions.Regex.Match(b.Stdout, @"recompute: (\d+) forward values");
        Assert.True(note.Success, b.Stdout);
        Assert.True(int.Parse(note.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.DoesNotContain("recompute:", a.Stdout, StringComparison.Ordinal);
        // cnn_small's recomputed values are Relu outputs (no fusion changes): the trained weights are the same.
        var x = OnnxModel.Load(kept);
        var y = OnnxModel.Load(recomputed);
        foreach (var t in x.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float))
            Assert.Equal(t.ToFloatArray(), y.Graph.FindInitializer(t.Name)!.ToFloatArray());
    }

    [Fact]
    public void Training_options_without_finetune_and_bad_values_are_usage_errors_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "out.onnx");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.5", "--epochs", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--epochs applies to --finetune", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.5", "--finetune");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--finetune needs training data", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--lr", "-1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--lr", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--optimizer", "lion");
        Assert.Equal(2, r.ExitCode);
        r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--teacher", Path.Combine(dir.Path, "missing.onnx"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--teacher", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--checkpoint", ShrinkCli.Sample);
        Assert.Equal(2, r.ExitCode);
        r = ShrinkCli.Run("finetune", ShrinkCli.Sample, "-o", output, "--data", Images, "--stop-at", "0.9");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--stop-at needs labelled --eval-data", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Finetune_of_a_language_model_reports_held_out_perplexity_per_epoch()
    {
        // input_ids [batch, seq] → Gather → MatMul → logits [batch, seq, 16], windows of 9 tokens; the teacher is the
        // same model with other weights, so distillation moves the student.
        const int vocab = 16, dim = 8, window = 9, count = 64;
        string Lm(string path, int seed)
        {
            var graph = new GraphProto { Name = "lm" };
            graph.Input.Add(TensorInfo("input_ids", (int)TensorProto.Types.DataType.Int64, "batch", "seq"));
            graph.Output.Add(FloatInfo("logits", "batch", "seq", vocab));
            graph.Initializer.Add(FloatTensor("embedding", [vocab, dim], RandomFloats(vocab * dim, seed)));
            graph.Initializer.Add(FloatTensor("head", [dim, vocab], RandomFloats(dim * vocab, seed + 1)));
            graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["hidden"], "embed"));
            graph.Node.Add(Node("MatMul", ["hidden", "head"], ["logits"], "lm_head"));
            return WriteTo(BuildModel(graph), path);
        }
        using var dir = new TempDirectory();
        string student = Lm(dir.File("student.onnx"), 1), teacher = Lm(dir.File("teacher.onnx"), 7);
        var random = new Random(3);
        var ids = new long[count * window];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(vocab);
        string windows = Write(dir.File("windows.npy"), Npy("<i8", [count, window], Bytes(ids)));
        string output = dir.File("tuned.onnx"), json = dir.File("r.json");

        var r = ShrinkCli.Run("finetune", student, "-o", output, "--teacher", teacher, "--data", windows, "--eval-data", windows,
            "--epochs", "1", "--train-batch", "8", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var tuned = doc.RootElement;
        Assert.Equal("perplexity", tuned.GetProperty("metric").GetString());
        Assert.True(tuned.GetProperty("metric_lower_is_better").GetBoolean());
        // The figure before training is the student's perplexity as `eval` measures it.
        double before = tuned.GetProperty("initial_metric").GetDouble();
        double measured = Perplexity(student, windows);
        Assert.Equal(measured, before, 6);
    }

    private static double Perplexity(string model, string windows) =>
        new Shrink.Evaluation.ModelEvaluator(new Shrink.Evaluation.EvaluationOptions { LatencyBatchSizes = [], Task = "lm" })
            .Evaluate(model, null, inputs => Shrink.Data.DataSourceFactory.Open(windows, new Shrink.Data.DataOptions(), inputs))
            .Metrics.Single(m => m.Name == "perplexity").Value;
}
