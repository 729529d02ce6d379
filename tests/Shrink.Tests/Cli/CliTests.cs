using System.Security.Cryptography;
using System.Text.Json;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public class CliTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("eval", "--help")]
    [InlineData("inspect", "--help")]
    [InlineData("bench", "--help")]
    public void Help_works_on_every_command(params string[] args)
    {
        var r = ShrinkCli.Run(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage", r.Stdout);
    }

    [Fact]
    public void Unknown_option_is_a_usage_error()
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--no-such-flag");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--no-such-flag", r.Stderr);
    }

    [Fact]
    public void Bad_option_value_is_a_usage_error()
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--batch", "0,x");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--batch", r.Stderr);
    }

    [Fact]
    public void Missing_model_fails_with_its_name()
    {
        var r = ShrinkCli.Run("inspect", "no/such/model.onnx");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no/such/model.onnx", r.Stderr);
    }

    [Fact]
    public void Truncated_model_fails_cleanly_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        string model = dir.File("cut.onnx");
        var bytes = File.ReadAllBytes(ShrinkCli.Sample);
        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
        string json = dir.File("out.json");
        var r = ShrinkCli.Run("eval", model, "--data", ShrinkCli.SampleImages, "--json", json);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("cut.onnx", r.Stderr);
        Assert.DoesNotContain("Unhandled", r.Stderr);
        Assert.Equal(["cut.onnx"], dir.ListFiles());
    }

    [Fact]
    public void Data_of_the_wrong_shape_is_refused_naming_input_and_file()
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", "random:4", "--input-shape", "input=1,3,28,28", "--no-latency");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("input", r.Stderr);
    }

    [Fact]
    public void Eval_writes_the_documented_json_and_report_and_leaves_the_model_untouched()
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.onnx");
        File.Copy(ShrinkCli.Sample, model);
        File.Copy(Path.ChangeExtension(ShrinkCli.Sample, null) + ".preprocess.json", dir.File("m.preprocess.json"));
        var before = SHA256.HashData(File.ReadAllBytes(model));
        string json = dir.File("out/eval.json"), report = dir.File("out/eval.md");
        var r = ShrinkCli.Run("eval", model, "--data", ShrinkCli.SampleImages, "--reference", ShrinkCli.Sample,
            "--batch", "1,4", "--runs", "5", "--samples", "300", "--json", json, "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(model)));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.85, 1.0);
        Assert.Equal(1.0, root.GetProperty("top1_agreement").GetDouble());
        foreach (var key in new[] { "latency_ms", "reference_latency_ms", "speedup" })
        {
            var byBatch = root.GetProperty(key);
            Assert.True(byBatch.GetProperty("1").GetDouble() > 0, key);
            Assert.True(byBatch.GetProperty("4").GetDouble() > 0, key);
        }
        Assert.Equal(new FileInfo(model).Length, root.GetProperty("size_bytes").GetInt64());
        Assert.True(root.GetProperty("params").GetInt64() > 400_000);
        Assert.Equal(300, root.GetProperty("samples").GetInt64());
        string md = File.ReadAllText(report);
        Assert.Contains("## Latency", md);
        Assert.Contains("1 intra-op thread", md);
        Assert.Contains("| top-1 accuracy |", md);
    }

    [Fact]
    public void Inspect_lists_candidates_and_json_is_machine_readable()
    {
        var r = ShrinkCli.Run("inspect", ShrinkCli.Sample, "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var candidates = doc.RootElement.GetProperty("candidates");
        Assert.Equal(4, candidates.GetArrayLength()); // 2 Conv + 2 Gemm
        Assert.Equal(13, doc.RootElement.GetProperty("opsets").GetProperty("ai.onnx").GetInt64());
        Assert.True(doc.RootElement.GetProperty("statistics").GetProperty("macs_per_sample").GetInt64() > 0);
    }

    [Fact]
    public void Bench_times_models_side_by_side()
    {
        var r = ShrinkCli.Run("bench", ShrinkCli.Sample, ShrinkCli.Sample, "--batch", "2", "--runs", "5", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(1.0, results[0].GetProperty("ratio_to_first").GetDouble());
        Assert.True(results[1].GetProperty("median_ms").GetDouble() > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bench_flushes_denormals_only_when_asked_and_says_so(bool flush)
    {
        string[] args = ["bench", ShrinkCli.Sample, "--batch", "1", "--runs", "2", "--warmup", "0", "--json", "-"];
        var r = ShrinkCli.Run(flush ? [.. args, "--flush-denormals"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        // The first session of the bench process decides ORT's denormal mode for the thread that runs the models.
        Assert.Equal(flush, doc.RootElement.GetProperty("denormals_flushed").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bench_of_a_masked_softmax_points_to_flushing_denormals_until_they_are(bool flush)
    {
        using var dir = new TempDirectory();
        string model = dir.File("masked.onnx");
        Runtime.MaskedSoftmaxTests.Model("where", float.NegativeInfinity).Save(model);
        string[] args = ["bench", model, "--batch", "1", "--runs", "2", "--warmup", "0"];
        var r = ShrinkCli.Run(flush ? [.. args, "--flush-denormals"] : args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(!flush, r.Stdout.Contains("1 Softmax node(s) read a masked input", StringComparison.Ordinal));
        Assert.Equal(flush, r.Stdout.Contains("Denormals flushed to zero", StringComparison.Ordinal));
    }
}

