using Shrink.Model;
using Shrink.Pipelines.Decoding;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Pipelines.Decoding.LmWindows;

namespace Shrink.Tests.Cli;

/// <summary>A decoder with a KV cache from the command line: calibrated on the states of decoding, evaluated by decoding.</summary>
public sealed class KvCacheCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Kv => SharedPath("tiny_gpt_kv.onnx");

    /// <summary>Perplexity of incremental decoding over the first <paramref name="count"/> validation windows.</summary>
    private static double Perplexity(string model, int count)
    {
        var windows = Read("tiny_gpt.val.npy", count);
        using var session = ModelSession.Open(model);
        var decoder = new IncrementalDecoder(session, KvCacheLayout.Detect(OnnxModel.Load(model))!);
        var (nll, n) = NextTokenNll(decoder.Run(Inputs(windows, 128))[0], windows);
        return Math.Exp(nll / n);
    }

    private static void AssertSameInterface(string output)
    {
        var a = OnnxModel.Load(Kv).Graph;
        var b = OnnxModel.Load(output).Graph;
        Assert.Equal(a.Inputs.Select(i => (i.Name, i.ShapeText)), b.Inputs.Select(i => (i.Name, i.ShapeText)));
        Assert.Equal(a.Outputs.Select(i => i.Name), b.Outputs.Select(i => i.Name));
    }

    [SharedFact]
    public void Static_int8_calibrates_on_decoding_states_and_beats_random_caches()
    {
        string output = _dir.File("static.onnx");
        var r = ShrinkCli.Run("quantize", Kv, "-o", output, "--data", SharedPath("tiny_gpt.calib.npy"), "--samples", "64", "--calibration", "minmax", "--analysis-samples", "0");

        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("has a KV cache (8 past/present pairs)", r.Stdout + r.Stderr);
        Assert.DoesNotContain("onnxruntime", r.Stderr);
        AssertSameInterface(output);

        // The same calibration on random data (random tokens and random caches) for comparison.
        string random = _dir.File("random.onnx");
        string[] shapes = [.. Enumerable.Range(0, 4).SelectMany(i => new[] { "--input-shape", $"past_key_{i}=1,4,64,48", "--input-shape", $"past_value_{i}=1,4,64,48" })];
        var rr = ShrinkCli.Run(["quantize", Kv, "-o", random, "--data", "random:64", "--input-shape", "input_ids=1,1", .. shapes, "--calibration", "minmax", "--analysis-samples", "0"]);
        Assert.True(rr.ExitCode == 0, rr.Stdout + rr.Stderr);

        double fp32 = Perplexity(Kv, 16), int8 = Perplexity(output, 16), fromRandom = Perplexity(random, 16);
        Assert.InRange(int8 / fp32, 0.99, 1.03);
        Assert.True(int8 < fromRandom, $"decoding states {int8:F3} vs random caches {fromRandom:F3} (fp32 {fp32:F3})");
    }

    [SharedFact]
    public void Weight_only_gptq_collects_hessians_from_decoding_states()
    {
        string output = _dir.File("w4.onnx");
        var r = ShrinkCli.Run("quantize", Kv, "-o", output, "--weights", "int4", "--group-size", "32", "--method", "gptq", "--non-sequential",
            "--data", SharedPath("tiny_gpt.calib.npy"), "--samples", "32");

        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("has a KV cache", r.Stdout + r.Stderr);
        AssertSameInterface(output);
        double fp32 = Perplexity(Kv, 16), w4 = Perplexity(output, 16);
        Assert.InRange(w4 / fp32, 0.99, 1.02);
    }

    [SharedFact]
    public void Eval_decodes_both_models_and_compares_the_logits_of_every_position()
    {
        string output = _dir.File("dynamic.onnx");
        var q = ShrinkCli.Run("quantize", Kv, "-o", output, "--mode", "dynamic");
        Assert.True(q.ExitCode == 0, q.Stdout + q.Stderr);
        AssertSameInterface(output);

        string json = _dir.File("eval.json");
        var r = ShrinkCli.Run("eval", output, "--reference", Kv, "--data", SharedPath("tiny_gpt.val.npy"), "--samples", "4", "--no-latency", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        // tiny_gpt_kv is detected as a language model: windows of 129 feed window[:128], the targets are window[1:].
        Assert.Contains("task: lm, detected from the model", r.Stdout);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        string text = doc.RootElement.ToString();
        Assert.Contains("present_value_3", text);
        Assert.Equal("lm", doc.RootElement.GetProperty("task").GetString());
        Assert.Contains("\"samples\": 4", doc.RootElement.ToString().Replace("\"samples\":4", "\"samples\": 4", StringComparison.Ordinal));
    }
    [SharedFact]
    public void Prune_removes_heads_from_the_cache_and_the_pruned_decoder_runs_in_the_loop()
    {
        string output = _dir.File("pruned.onnx");
        string json = _dir.File("pruned.json");
        var r = ShrinkCli.Run("prune", Kv, "-o", output, "--sparsity", "0.25", "--schedule", "uniform", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        // No --input-shape: the tokens are probed at 16 and the past length at 8; the cache interface change is said.
        Assert.Contains("set to 8 tokens", r.Stdout);
        Assert.Contains("KV cache interface changed", r.Stdout);
        var graph = OnnxModel.Load(output).Graph;
        Assert.All(graph.Inputs.Where(i => i.Name.StartsWith("past_", StringComparison.Ordinal)), i => Assert.Equal("[batch,3,past_seq,48]", i.ShapeText));
        Assert.All(graph.Outputs.Where(o => o.Name.StartsWith("present_", StringComparison.Ordinal)), o => Assert.Equal("[batch,3,total_seq,48]", o.ShapeText));
        Assert.Equal("[batch,seq,99]", graph.Outputs.Single(o => o.Name == "logits").ShapeText);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)))
            Assert.Equal(16, doc.RootElement.GetProperty("resized_cache").GetArrayLength());

        // The decoding loop feeds it its own 3-head cache; a quarter of the heads and MLP channels by L1, no data, no refit.
        double fp32 = Perplexity(Kv, 16), pruned = Perplexity(output, 16);
        // Measured: 10.411 vs 10.181 (+2.3 %) on these 16 windows.
        Assert.True(double.IsFinite(pruned) && pruned > fp32 && pruned < 1.1 * fp32, $"pruned {pruned:F3} vs fp32 {fp32:F3}");

        // Against the unpruned reference: the logits are compared, the caches (other head count) are not.
        var e = ShrinkCli.Run("eval", output, "--reference", Kv, "--data", SharedPath("tiny_gpt.val.npy"), "--samples", "2", "--no-latency");
        Assert.True(e.ExitCode == 0, e.Stdout + e.Stderr);
        Assert.Contains("fidelity of the cache outputs whose heads were pruned not measured (from 'present_key_0' on)", e.Stdout + e.Stderr);
        Assert.Contains("top-1 agreement with reference", e.Stdout);
    }
}
