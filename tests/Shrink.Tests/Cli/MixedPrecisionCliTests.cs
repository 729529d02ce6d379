using System.Text.Json;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

public sealed class MixedPrecisionCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    // A copy of the sample, so the sensitivity cache lands in the temporary folder.
    private static string CopySample(TempDirectory dir)
    {
        string model = dir.File("cnn.onnx");
        File.Copy(ShrinkCli.Sample, model);
        File.Copy(Path.ChangeExtension(ShrinkCli.Sample, ".preprocess.json"), dir.File("cnn.preprocess.json"));
        return model;
    }

    [Fact]
    public void Sensitivity_scores_every_layer_and_width_and_is_cached_beside_the_model()
    {
        using var dir = new TempDirectory();
        string model = CopySample(dir), json = dir.File("s.json"), report = dir.File("s.md");
        var r = ShrinkCli.Run("sensitivity", model, "--data", Calibration, "--samples", "64", "--max-probes", "8", "--json", json, "--report", report);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("layers", r.Stderr); // progress over the layers
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var layers = doc.RootElement.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(4, layers.Count);
            foreach (var l in layers)
            {
                var omega = l.GetProperty("omega");
                Assert.True(omega.GetProperty("2").GetDouble() > omega.GetProperty("8").GetDouble(), l.ToString());
                Assert.True(l.GetProperty("trace").GetDouble() > 0);
            }
            Assert.Equal("kl", doc.RootElement.GetProperty("loss").GetString());
        }
        Assert.Contains("Ω 3-bit", File.ReadAllText(report));
        Assert.True(File.Exists(dir.File("cnn.sensitivity.json")));
        var again = ShrinkCli.Run("sensitivity", model, "--data", Calibration, "--samples", "64", "--max-probes", "8", "--json", "-");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("read from", again.Stderr);
        Assert.True(JsonDocument.Parse(again.Stdout).RootElement.GetProperty("from_cache").GetBoolean());
    }

    [Fact]
    public void Quantize_mixed_meets_the_size_budget_and_refuses_unreachable_ones()
    {
        using var dir = new TempDirectory();
        string model = CopySample(dir), output = dir.File("mixed.onnx"), json = dir.File("m.json");
        var q = ShrinkCli.Run(["quantize", model, "-o", output, "--mixed", "--size-ratio", "0.2", "--bits", "2,4,8", "--json", json, "--sensitivity", "perturbation", "--data", Calibration, "--samples", "64"]);
        Assert.True(q.ExitCode == 0, q.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var root = doc.RootElement;
            Assert.True(root.GetProperty("predicted_bytes").GetInt64() <= root.GetProperty("budget_value").GetInt64());
            Assert.InRange(root.GetProperty("size_bytes").GetInt64(), 0, (long)(1.01 * root.GetProperty("budget_value").GetInt64()));
            var bits = root.GetProperty("layer_bits").EnumerateObject().Select(p => p.Value.GetInt32()).ToList();
            Assert.Equal(4, bits.Count);
            Assert.True(bits.Distinct().Count() > 1, "a 0.2 budget between uniform 4 and 8 bits should mix widths");
        }
        var low = ShrinkCli.Run("quantize", model, "-o", dir.File("x.onnx"), "--mixed", "--size-ratio", "0.01", "--sensitivity", "perturbation", "--data", Calibration, "--samples", "64");
        Assert.Equal(1, low.ExitCode);
        Assert.Contains("at least", low.Stderr);
        Assert.Contains("at most", low.Stderr);
        // A latency budget below what any width reaches is refused with the fastest achievable time; a loose one plans within it.
        var tooFast = ShrinkCli.Run("quantize", model, "-o", dir.File("x.onnx"), "--mixed", "--latency-ms", "0.0001", "--bits", "4,8", "--sensitivity", "perturbation", "--data", Calibration, "--samples", "64");
        Assert.Equal(1, tooFast.ExitCode);
        Assert.Contains("fastest", tooFast.Stderr);
        Assert.False(File.Exists(dir.File("x.onnx")));
        var loose = ShrinkCli.Run("quantize", model, "-o", dir.File("x.onnx"), "--mixed", "--latency-ms", "1000", "--bits", "4,8", "--sensitivity", "perturbation", "--data", Calibration, "--samples", "64", "--json", "-");
        Assert.True(loose.ExitCode == 0, loose.Stderr);
        using (var doc = JsonDocument.Parse(loose.Stdout))
        {
            double predicted = doc.RootElement.GetProperty("predicted_latency_ms").GetDouble();
            Assert.InRange(predicted, 1e-4, 1000);
            Assert.Equal(4, doc.RootElement.GetProperty("latency_table_ms").EnumerateObject().Count());
        }
        Assert.Equal(2, ShrinkCli.Run("quantize", model, "-o", dir.File("x.onnx"), "--mixed", "--data", Calibration).ExitCode); // no budget
    }

    [Fact]
    public void Quantize_mixed_size_bytes_is_a_promise_about_the_file_written()
    {
        using var dir = new TempDirectory();
        string model = CopySample(dir);
        string[] common = ["--mixed", "--bits", "2,4,8", "--sensitivity", "perturbation", "--data", Calibration, "--samples", "64", "--json", "-"];
        var first = ShrinkCli.Run(["quantize", model, "-o", dir.File("ratio.onnx"), "--size-ratio", "0.2", .. common]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        long predicted, minimum;
        using (var doc = JsonDocument.Parse(first.Stdout))
        {
            predicted = doc.RootElement.GetProperty("predicted_bytes").GetInt64();
            minimum = doc.RootElement.GetProperty("minimum").GetInt64();
        }
        // The weights' bytes of that plan as the budget: the written file also holds the scales and the graph, so the
        // same plan would overshoot it; the file must still fit.
        string output = dir.File("bytes.onnx");
        var r = ShrinkCli.Run(["quantize", model, "-o", output, "--size-bytes", predicted.ToString(System.Globalization.CultureInfo.InvariantCulture), .. common]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(new FileInfo(output).Length <= predicted, $"wrote {new FileInfo(output).Length} bytes for --size-bytes {predicted}");
        using (var doc = JsonDocument.Parse(r.Stdout))
            Assert.Equal(new FileInfo(output).Length, doc.RootElement.GetProperty("size_bytes").GetInt64());
        // The smallest predicted size cannot hold the overhead as well: refused with the smallest file reachable, nothing written.
        string none = dir.File("none.onnx");
        var low = ShrinkCli.Run(["quantize", model, "-o", none, "--size-bytes", minimum.ToString(System.Globalization.CultureInfo.InvariantCulture), .. common]);
        Assert.Equal(1, low.ExitCode);
        Assert.Contains("smallest file", low.Stderr);
        Assert.False(File.Exists(none));
        Assert.Empty(Directory.GetFiles(dir.Path, "*size-trial*"));
    }

    [Fact]
    public void Tune_with_accuracy_on_unlabelled_data_names_top1_agreement()
    {
        using var dir = new TempDirectory();
        string model = CopySample(dir);
        var r = ShrinkCli.Run("tune", model, "-o", dir.File("t.onnx"), "--max-drop", "0.5", "--data", Calibration, "--eval-data", "random:16");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--metric top1_agreement", r.Stderr);
    }
}
