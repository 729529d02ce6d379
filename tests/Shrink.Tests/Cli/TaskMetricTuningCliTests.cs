using System.Globalization;
using System.Text.Json;
using Onnx;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink tune</c> and <c>shrink pareto</c> with a task metric: perplexity of a language model, lower is better.</summary>
public sealed class TaskMetricTuningCliTests : IDisposable
{
    private const int Vocab = 16, Dim = 32, Window = 9;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Embedding => RandomFloats(Vocab * Dim, 21);

    private static float[] W1 => [.. RandomFloats(Dim * Dim, 22).Select(v => 0.5f * v)];

    private static float[] Head => [.. RandomFloats(Dim * Vocab, 23).Select(v => 0.5f * v)];

    // input_ids [batch,seq] → Gather(embedding) → MatMul(w1) → Relu → MatMul(head) → logits [batch,seq,16]: two layers to allocate.
    private string LanguageModel()
    {
        var graph = new GraphProto { Name = "two_layer_lm" };
        graph.Input.Add(TensorInfo("input_ids", TinyModels.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("logits", "batch", "seq", Vocab));
        graph.Initializer.Add(FloatTensor("embedding", [Vocab, Dim], Embedding));
        graph.Initializer.Add(FloatTensor("w1", [Dim, Dim], W1));
        graph.Initializer.Add(FloatTensor("head", [Dim, Vocab], Head));
        graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["hidden"], "embed"));
        graph.Node.Add(Node("MatMul", ["hidden", "w1"], ["mixed"], "mlp"));
        graph.Node.Add(Node("Relu", ["mixed"], ["act"], "relu"));
        graph.Node.Add(Node("MatMul", ["act", "head"], ["logits"], "lm_head"));
        return WriteTo(BuildModel(graph), _dir.File("lm.onnx"));
    }

    // Windows whose next token is the float model's most likely one 4 times in 5 (else random), so the model predicts
    // them well and rounding its weights raises the perplexity.
    private string Windows(int count)
    {
        float[] e = Embedding, w1 = W1, head = Head;
        int Likeliest(long id)
        {
            var act = new double[Dim];
            for (int j = 0; j < Dim; j++)
            {
                for (int k = 0; k < Dim; k++) act[j] += (double)e[id * Dim + k] * w1[k * Dim + j];
                act[j] = Math.Max(0, act[j]);
            }
            int best = 0;
            double bestLogit = double.NegativeInfinity;
            for (int v = 0; v < Vocab; v++)
            {
                double logit = 0;
                for (int j = 0; j < Dim; j++) logit += act[j] * head[j * Vocab + v];
                if (logit > bestLogit) (best, bestLogit) = (v, logit);
            }
            return best;
        }
        var random = new Random(5);
        var ids = new long[count * Window];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = i % Window == 0 || random.Next(5) == 0 ? random.Next(Vocab) : Likeliest(ids[i - 1]);
        return Write(_dir.File("windows.npy"), Npy("<i8", [count, Window], Bytes(ids)));
    }

    private static double Perplexity(string model, string data) =>
        new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], Task = "lm" })
            .Evaluate(model, null, inputs => DataSourceFactory.Open(data, new DataOptions(), inputs)).Metrics.Single(m => m.Name == "perplexity").Value;

    private static string[] Common(string command, string model, string data) =>
        [command, model, "--task", "lm", "--data", data, "--samples", "16", "--eval-data", data, "--metric", "perplexity", "--bits", "2,4,8", "--max-probes", "4", "--no-cache"];

    [Fact]
    public void Tune_with_perplexity_writes_a_model_whose_measured_perplexity_is_within_the_increase()
    {
        string model = LanguageModel(), data = Windows(48), output = _dir.File("tuned.onnx"), json = _dir.File("tune.json");

        var r = ShrinkCli.Run([.. Common("tune", model, data), "-o", output, "--max-increase", "1%", "--json", json]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("increase (%)", r.Stdout);
        double fp32 = Perplexity(model, data), tuned = Perplexity(output, data);
        Assert.True(tuned <= fp32 * 1.01, $"perplexity {tuned} over fp32 {fp32} + 1 %");
        Assert.True(new FileInfo(output).Length < new FileInfo(model).Length);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("perplexity", root.GetProperty("metric").GetString());
        Assert.True(root.GetProperty("lower_is_better").GetBoolean());
        Assert.Equal(1.0, root.GetProperty("max_increase_percent").GetDouble());
        Assert.False(root.TryGetProperty("max_drop", out _));
        Assert.Equal(fp32, root.GetProperty("reference").GetDouble(), 6);
        int chosen = root.GetProperty("chosen").GetInt32();
        var trial = root.GetProperty("trials").EnumerateArray().Single(t => t.GetProperty("index").GetInt32() == chosen);
        Assert.Equal(tuned, trial.GetProperty("metric").GetDouble(), 6);
        Assert.Equal(100 * (tuned / fp32 - 1), trial.GetProperty("drop_points").GetDouble(), 6);
        // Every trial reports the size of the file it wrote, and the chosen one is the file written to -o.
        Assert.Equal(new FileInfo(output).Length, trial.GetProperty("file_bytes").GetInt64());
        Assert.All(root.GetProperty("trials").EnumerateArray(), t => Assert.True(t.GetProperty("file_bytes").GetInt64() > t.GetProperty("predicted_bytes").GetInt64()));
    }

    [Fact]
    public void Tune_with_perplexity_refuses_max_drop_and_a_task_that_does_not_measure_it()
    {
        string model = LanguageModel(), data = Windows(4), output = _dir.File("t.onnx");

        var drop = ShrinkCli.Run([.. Common("tune", model, data), "-o", output, "--max-drop", "0.5"]);
        Assert.Equal(2, drop.ExitCode);
        Assert.Contains("--max-increase", drop.Stderr);

        string[] classification = [.. Common("tune", model, data).Select(a => a == "lm" ? "classification" : a), "-o", output, "--max-increase", "1"];
        var task = ShrinkCli.Run(classification);
        Assert.Equal(2, task.ExitCode);
        Assert.Contains("--task lm", task.Stderr);

        var bad = ShrinkCli.Run([.. Common("tune", model, data), "-o", output, "--max-increase", "half"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--max-increase", bad.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Pareto_with_perplexity_puts_it_on_the_y_axis_lower_is_better()
    {
        string model = LanguageModel(), data = Windows(32), dir = _dir.File("pareto");

        var r = ShrinkCli.Run([.. Common("pareto", model, data), "-o", dir, "--budgets", "1", "--random", "1"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "pareto.png")));
        string md = File.ReadAllText(Path.Combine(dir, "pareto.md"));
        // The page holds the table and the plot itself (an inline SVG), not a link to the PNG.
        string html = File.ReadAllText(Path.Combine(dir, "pareto.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("perplexity (lower is better)", html);
        Assert.DoesNotContain("pareto.png", html);
        Assert.Contains("| perplexity (lower is better) |", md);
        double fp32 = Perplexity(model, data);
        Assert.Contains($"fp32 perplexity: {fp32.ToString("F4", CultureInfo.InvariantCulture)}", md);
        // Every uniform 8-bit point is close to the float perplexity, every 2-bit one further away.
        var rows = md.Split('\n').Where(l => l.StartsWith("| uniform |", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count);
        double Ppl(string row) => double.Parse(row.Split('|', StringSplitOptions.TrimEntries)[^2], CultureInfo.InvariantCulture);
        double two = Ppl(rows.Single(l => l.Contains("| 2 2 |", StringComparison.Ordinal))), eight = Ppl(rows.Single(l => l.Contains("| 8 8 |", StringComparison.Ordinal)));
        Assert.True(Math.Abs(eight - fp32) < Math.Abs(two - fp32), $"8-bit {eight}, 2-bit {two}, fp32 {fp32}");
    }

    [Fact]
    public void Tune_reads_a_text_file_as_eval_data_through_the_tokenizer()
    {
        // A 99-character vocabulary (TextFixtures.CharVocab) and an LM over it; calibration and evaluation are text.
        const int chars = 99;
        var graph = new GraphProto { Name = "char_lm" };
        graph.Input.Add(TensorInfo("input_ids", TinyModels.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("logits", "batch", "seq", chars));
        graph.Initializer.Add(FloatTensor("embedding", [chars, Dim], RandomFloats(chars * Dim, 31)));
        graph.Initializer.Add(FloatTensor("w1", [Dim, Dim], RandomFloats(Dim * Dim, 32)));
        graph.Initializer.Add(FloatTensor("head", [Dim, chars], RandomFloats(Dim * chars, 33)));
        graph.Node.Add(Node("Gather", ["embedding", "input_ids"], ["hidden"], "embed"));
        graph.Node.Add(Node("MatMul", ["hidden", "w1"], ["mixed"], "mlp"));
        graph.Node.Add(Node("MatMul", ["mixed", "head"], ["logits"], "lm_head"));
        string model = WriteTo(BuildModel(graph), _dir.File("char_lm.onnx"));
        string vocab = Shrink.Tests.Data.Text.TextFixtures.CharVocab(_dir.File("vocab.json"));
        string text = string.Concat(Enumerable.Range(0, 40).Select(i => $"The quick brown fox {i} jumps over the lazy dog.\n\n"));
        string calibration = _dir.File("calib.txt"), eval = _dir.File("eval.txt"), output = _dir.File("tuned.onnx"), json = _dir.File("tune.json");
        File.WriteAllText(calibration, text);
        File.WriteAllText(eval, text.ToUpperInvariant());

        var r = ShrinkCli.Run("tune", model, "-o", output, "--task", "lm", "--data", calibration, "--tokenizer", vocab, "--seq-len", "16", "--samples", "16",
            "--eval-data", eval, "--metric", "perplexity", "--max-increase", "50%", "--bits", "4,8", "--max-probes", "4", "--no-cache", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        double reference = doc.RootElement.GetProperty("reference").GetDouble();
        Assert.True(double.IsFinite(reference) && reference > 1, $"reference perplexity {reference}");
    }
}
