using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.Data;
using Shrink.Tests.TestSupport;
using Shrink.Tests.Training;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink finetune --distill-loss mse</c>: a BERT-style encoder (int64 ids, mask and token types) trained by feature distillation.</summary>
public sealed class FinetuneBertCliTests
{
    [Fact]
    public void A_perturbed_bert_encoder_distilled_to_its_float_model_by_mean_squared_error_lowers_the_loss()
    {
        using var dir = new TempDirectory();
        string teacher = TinyModels.WriteTo(TinyBertEncoder.Build(), Path.Combine(dir.Path, "teacher.onnx"));
        string student = TinyModels.WriteTo(TinyBertEncoder.Build(noise: 0.3f), Path.Combine(dir.Path, "student.onnx"));
        string data = NamedArrayFixtures.Lines(Path.Combine(dir.Path, "train.jsonl"), TinyBertEncoder.Samples(128));
        string output = Path.Combine(dir.Path, "tuned.onnx"), json = Path.Combine(dir.Path, "r.json");

        var r = ShrinkCli.Run("finetune", student, "-o", output, "--teacher", teacher, "--distill-loss", "mse", "--data", data,
            "--epochs", "4", "--train-batch", "16", "--lr", "3e-3", "--memory-budget", "64", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("mean squared error to the teacher's 'last_hidden_state' (feature distillation)", r.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var history = doc.RootElement.GetProperty("history");
        double first = history[0].GetProperty("mean_loss").GetDouble(), last = history[3].GetProperty("mean_loss").GetDouble();
        Assert.True(last < first * 0.7, $"loss {first} → {last}");
        // Every float weight was trained: the three embedding tables among them.
        var before = OnnxModel.Load(student);
        var after = OnnxModel.Load(output);
        foreach (var table in new[] { "word_embeddings", "position_embeddings", "token_type_embeddings" })
            Assert.NotEqual(before.Graph.FindInitializer(table)!.ToFloatArray(), after.Graph.FindInitializer(table)!.ToFloatArray());
        Assert.False(doc.RootElement.GetProperty("memory").GetProperty("recompute").GetBoolean());
    }

    [Fact]
    public void Mean_squared_error_distillation_without_a_teacher_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        string student = TinyModels.WriteTo(TinyBertEncoder.Build(), Path.Combine(dir.Path, "student.onnx"));
        string data = NamedArrayFixtures.Lines(Path.Combine(dir.Path, "train.jsonl"), TinyBertEncoder.Samples(8));
        var r = ShrinkCli.Run("finetune", student, "-o", Path.Combine(dir.Path, "out.onnx"), "--distill-loss", "mse", "--data", data);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--distill-loss mse needs a teacher", r.Stderr, StringComparison.Ordinal);
    }
}
