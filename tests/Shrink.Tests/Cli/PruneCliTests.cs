using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public sealed class PruneCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [Fact]
    public void Channel_pruning_with_refit_writes_a_smaller_model_with_the_same_interface()
    {
        using var dir = new TempDirectory();
        string output = dir.File("pruned.onnx"), json = dir.File("p.json"), report = dir.File("p.md");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.4", "--reconstruct", "--data", Calibration, "--json", json, "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var root = doc.RootElement;
            Assert.True(root.GetProperty("macs_after").GetInt64() <= 0.65 * root.GetProperty("macs_before").GetInt64());
            Assert.NotEqual(0, root.GetProperty("refits").GetArrayLength());
        }
        Assert.Contains("## Groups", File.ReadAllText(report));
        var original = OnnxModel.Load(ShrinkCli.Sample);
        var pruned = OnnxModel.Load(output);
        Assert.Equal(original.Graph.Inputs.Select(i => i.Name), pruned.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(original.Graph.Outputs.Select(o => o.Name), pruned.Graph.Outputs.Select(o => o.Name));
        Assert.True(new FileInfo(output).Length < new FileInfo(ShrinkCli.Sample).Length);

        var e = ShrinkCli.Run("eval", output, "--reference", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--batch", "8", "--runs", "5", "--json", "-");
        Assert.True(e.ExitCode == 0, e.Stderr);
        using var eval = JsonDocument.Parse(e.Stdout);
        double drop = eval.RootElement.GetProperty("reference_accuracy").GetDouble() - eval.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(drop <= 0.04, $"pruning lost {drop * 100:F2} points on the 1,000 sample images");
    }

    [Theory]
    [InlineData("prune", "--sparsity", "0.5")]
    [InlineData("prune", "--sparsity", "0.5", "--granularity", "unstructured")]
    [InlineData("lowrank", "--energy", "0.9")]
    public void Already_quantized_models_are_refused_up_front_naming_the_node_and_op(string command, params string[] options)
    {
        using var dir = new TempDirectory();
        string quantized = dir.File("int8.onnx"), output = dir.File("out.onnx");
        Assert.Equal(0, ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", quantized, "--mode", "dynamic").ExitCode);
        var firstQuantized = OnnxModel.Load(quantized).Graph.Nodes.First(n => n.OpType is "DynamicQuantizeLinear" or "MatMulInteger" or "ConvInteger" or "DequantizeLinear" or "QuantizeLinear" or "MatMulIntegerToFloat" or "DynamicQuantizeMatMul" or "QLinearConv" or "QLinearMatMul");
        var r = ShrinkCli.Run([command, quantized, "-o", output, .. options]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("already quantized", r.Stderr);
        Assert.Contains($"'{firstQuantized.DisplayName}' is {firstQuantized.OpType}", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("unstructured")]
    [InlineData("2:4")]
    public void Sparsity_patterns_zero_the_weights_and_report_them(string pattern)
    {
        using var dir = new TempDirectory();
        string output = dir.File("sparse.onnx");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.5", "--granularity", pattern, "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.InRange(doc.RootElement.GetProperty("sparsity").GetDouble(), 0.49, 0.51);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Memory_limit_sets_the_calibration_batch_of_sparsity_and_of_channel_pruning()
    {
        using var dir = new TempDirectory();
        string output = dir.File("sparse.onnx"), json = dir.File("s.json");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--granularity", "unstructured", "--sparsity", "0.5", "--reconstruct", "--data", Calibration,
            "--samples", "64", "--memory-limit", "64M", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)))
            Assert.Contains("batch", doc.RootElement.GetProperty("calibration").GetString(), StringComparison.Ordinal);
        string channel = dir.File("channel.onnx"), channelJson = dir.File("c.json");
        var c = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", channel, "--sparsity", "0.3", "--reconstruct", "--data", Calibration, "--samples", "64",
            "--memory-limit", "64M", "--json", channelJson);
        Assert.True(c.ExitCode == 0, c.Stderr);
        Assert.True(File.Exists(channel));
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(channelJson)))
        {
            string line = doc.RootElement.GetProperty("calibration").GetString()!;
            Assert.StartsWith("64 samples (greedy selection, least-squares refit)", line, StringComparison.Ordinal);
            Assert.Contains("batch", line, StringComparison.Ordinal);
        }
        Assert.Contains("calibration", c.Stdout, StringComparison.Ordinal);
        string refused = dir.File("refused.onnx");
        foreach (var granularity in new[] { "unstructured", "channel" })
        {
            var small = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", refused, "--granularity", granularity, "--sparsity", "0.5", "--memory-limit", "1K");
            Assert.Equal(2, small.ExitCode);
            Assert.Contains("under the minimum", small.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(refused));
        }
    }

    [Fact]
    public void Two_four_needs_no_rate_and_eval_data_adds_the_before_and_after_measurements()
    {
        using var dir = new TempDirectory();
        string output = dir.File("24.onnx"), json = dir.File("24.json"), report = dir.File("24.md");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--granularity", "2:4", "--eval-data", ShrinkCli.SampleImages, "--eval-samples", "200",
            "--eval-batch", "4", "--json", json, "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var evaluation = doc.RootElement.GetProperty("evaluation");
            Assert.InRange(evaluation.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
            Assert.InRange(evaluation.GetProperty("reference_accuracy").GetDouble(), 0.5, 1.0);
            Assert.Equal(200, evaluation.GetProperty("samples").GetInt64());
        }
        string text = File.ReadAllText(report);
        Assert.Contains("## After vs before: Latency", text, StringComparison.Ordinal);
        Assert.Contains("## Layers", text, StringComparison.Ordinal);
        // Unstructured pruning still needs its rate.
        Assert.Equal(2, ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("u.onnx"), "--granularity", "unstructured").ExitCode);
        // A missing --eval-data is refused before anything is written.
        Assert.Equal(2, ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("e.onnx"), "--sparsity", "0.5", "--eval-data", dir.File("missing.gz")).ExitCode);
        Assert.False(File.Exists(dir.File("e.onnx")));
        // Weight criteria and channel criteria do not mix.
        Assert.Equal(2, ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("u.onnx"), "--granularity", "unstructured", "--sparsity", "0.5", "--criterion", "l1").ExitCode);
        Assert.Equal(2, ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("u.onnx"), "--sparsity", "0.5", "--criterion", "magnitude").ExitCode);
        var magnitude = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("m.onnx"), "--granularity", "unstructured", "--sparsity", "0.5", "--criterion", "magnitude", "--json", "-");
        Assert.True(magnitude.ExitCode == 0, magnitude.Stderr);
        using var m = JsonDocument.Parse(magnitude.Stdout);
        Assert.Equal("magnitude", m.RootElement.GetProperty("criterion").GetString());
    }

    [Fact]
    public void Lowrank_factors_the_dense_layers()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("lowrank", ShrinkCli.Sample, "-o", dir.File("lr.onnx"), "--energy", "0.9", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.True(doc.RootElement.GetProperty("parameters_after").GetInt64() < doc.RootElement.GetProperty("parameters_before").GetInt64());
        Assert.Equal(2, ShrinkCli.Run("lowrank", ShrinkCli.Sample, "-o", dir.File("x.onnx"), "--energy", "0.9", "--ratio", "0.5").ExitCode);

        // --ratio is a budget over the candidate layers' weights, and the JSON says what was reached.
        r = ShrinkCli.Run("lowrank", ShrinkCli.Sample, "-o", dir.File("half.onnx"), "--ratio", "0.5", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var half = JsonDocument.Parse(r.Stdout);
        long before = half.RootElement.GetProperty("candidate_parameters_before").GetInt64(), budget = half.RootElement.GetProperty("parameter_budget").GetInt64();
        Assert.Equal(before / 2, budget);
        Assert.InRange(half.RootElement.GetProperty("candidate_parameters_after").GetInt64(), 1, budget);
    }

    [Theory]
    [InlineData("--sparsity", "1.0")]
    [InlineData("--sparsity", "-0.1")]
    [InlineData("--schedule", "pqi")]
    [InlineData("--granularity", "3:3")]
    public void Bad_rates_and_misplaced_schedules_are_usage_errors_and_write_nothing(string option, string value)
    {
        using var dir = new TempDirectory();
        var args = new List<string> { "prune", ShrinkCli.Sample, "-o", dir.File("o.onnx") };
        if (option != "--sparsity") args.AddRange(["--sparsity", "0.5"]);
        args.AddRange([option, value]);
        var r = ShrinkCli.Run([.. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.False(File.Exists(dir.File("o.onnx")));
    }

    [Fact]
    public void Reconstruct_without_data_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--sparsity", "0.5", "--reconstruct");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--data", r.Stderr);
    }

    [Fact]
    public void Fair_schedule_reports_its_tolerance_and_counts()
    {
        using var dir = new TempDirectory();
        string output = dir.File("fair.onnx"), report = dir.File("fair.md");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--sparsity", "0.4", "--schedule", "fair", "--data", Calibration, "--samples", "128", "--json", "-", "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("macs_after").GetInt64() <= 0.6 * root.GetProperty("macs_before").GetInt64());
        var fair = root.GetProperty("fair");
        Assert.InRange(fair.GetProperty("alpha").GetDouble(), 0, 1);
        Assert.NotEqual(0, fair.GetProperty("groups").GetArrayLength());
        Assert.Contains("## Fair schedule", File.ReadAllText(report));
        Assert.True(File.Exists(output));
    }

    [Theory]
    [InlineData("--granularity", "unstructured", "--schedule fair sets how many channels")]
    [InlineData("--criterion", "l2", "leave out --criterion")]
    [InlineData("--fair-labels", "data", null)]
    public void Fair_schedule_misuse_is_a_usage_error(string option, string value, string? message)
    {
        using var dir = new TempDirectory();
        // Without --data for the last case: fair needs calibration data.
        var args = new List<string> { "prune", ShrinkCli.Sample, "-o", dir.File("o.onnx"), "--sparsity", "0.5", "--schedule", "fair", option, value };
        if (message is not null) args.AddRange(["--data", Calibration]);
        var r = ShrinkCli.Run([.. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message ?? "--data", r.Stderr);
        Assert.False(File.Exists(dir.File("o.onnx")));
    }
    [Fact]
    public void Latency_target_reports_the_timed_speedup_it_reached()
    {
        using var dir = new TempDirectory();
        string output = dir.File("fast.onnx");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", output, "--speedup", "1.4", "--latency-batch", "16", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var latency = doc.RootElement.GetProperty("latency");
        Assert.Equal(16, latency.GetProperty("batch_size").GetInt32());
        Assert.True(latency.GetProperty("before_ms").GetDouble() >= 1.4 * latency.GetProperty("after_ms").GetDouble() - 1e-9);
        Assert.Contains("ORT latency at batch 16", doc.RootElement.GetProperty("method").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Input_shape_sizes_a_dynamic_token_axis_without_data()
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(RepoPaths.Exports, "timm_unbind_dynseq.onnx"), output = dir.File("heads.onnx");
        var refused = ShrinkCli.Run("prune", model, "-o", output, "--sparsity", "0.3");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("pass --input-shape x=1,tokens,16", refused.Stderr, StringComparison.Ordinal);

        var r = ShrinkCli.Run("prune", model, "-o", output, "--sparsity", "0.3", "--input-shape", "x=1,6,16", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var heads = Assert.Single(doc.RootElement.GetProperty("groups").EnumerateArray());
        Assert.Equal(4, heads.GetProperty("head_size").GetInt32());
        Assert.True(heads.GetProperty("kept").GetInt32() < 4);
        Assert.True(File.Exists(output));
    }

    [Theory]
    [InlineData("--sparsity 0.5 --granularity unstructured --target latency", "--target applies to channel pruning")]
    [InlineData("--sparsity 0.5 --latency-batch 8", "--latency-batch applies to --target latency")]
    [InlineData("--speedup 2 --sparsity 0.5", "leave out --sparsity and --target")]
    [InlineData("--speedup 0.5", "--speedup must be at least 1")]
    [InlineData("--speedup 2 --granularity 2:4", "--speedup applies to channel pruning")]
    [InlineData("--sparsity 0.5 --damp 0.1", "--damp applies to unstructured and N:M sparsity")]
    [InlineData("--sparsity 0.5 --scope layer", "--scope applies to unstructured and N:M sparsity")]
    [InlineData("--sparsity 0.5 --float-targets false", "--float-targets applies to unstructured and N:M sparsity")]
    [InlineData("--sparsity 0.5 --granularity unstructured --channel-multiple 8", "--channel-multiple applies to channel pruning")]
    [InlineData("--sparsity 0.5 --granularity unstructured --keep conv1=4", "--keep applies to channel pruning")]
    [InlineData("--sparsity 0.5 --exclude-nodes conv1", "--exclude-nodes applies to unstructured and N:M sparsity")]
    [InlineData("--granularity 2:4 --schedule pqi", "--schedule pqi sets per-layer rates of unstructured pruning")]
    [InlineData("--sparsity 0.5 --schedule sensitivity", "--schedule sensitivity sets per-layer rates of unstructured pruning")]
    public void Options_out_of_their_pruning_kind_or_mode_are_usage_errors(string extra, string message)
    {
        using var dir = new TempDirectory();
        var args = new List<string> { "prune", ShrinkCli.Sample, "-o", dir.File("o.onnx") };
        args.AddRange(extra.Split(' '));
        var r = ShrinkCli.Run([.. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(File.Exists(dir.File("o.onnx")));
    }
}
