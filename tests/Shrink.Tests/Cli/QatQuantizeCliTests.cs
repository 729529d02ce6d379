using System.Text.Json;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink quantize --qat</c> on the shipped sample (cnn_small and 1,000 Fashion-MNIST test images) as a user runs it.</summary>
public sealed class QatQuantizeCliTests
{
    [Fact]
    public void Qat_after_4_bit_static_quantization_writes_an_ort_ready_qdq_model_and_reports_ptq_against_qat()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "qat.onnx"), json = Path.Combine(dir.Path, "r.json");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--samples", "128", "--weight-bits", "4",
            "--analysis-samples", "128", "--qat", "--epochs", "2", "--train-samples", "256", "--train-batch", "32", "--lr", "0.0001", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("Quantization-aware training", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("KL distillation", r.Stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var qat = doc.RootElement.GetProperty("qat");
        Assert.True(double.IsFinite(qat.GetProperty("ptq_output_sqnr_db").GetDouble()));
        Assert.True(double.IsFinite(qat.GetProperty("qat_output_sqnr_db").GetDouble()));
        Assert.True(qat.GetProperty("weight_quantizers").GetInt32() > 0);
        Assert.Equal(2, qat.GetProperty("fine_tune").GetProperty("history").GetArrayLength());

        // The written model is the PTQ structure: int8 weight codes on the 4-bit grid, Q/DQ pairs, integer kernels in ORT.
        var model = OnnxModel.Load(output);
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        var codes = model.Graph.Nodes.Where(n => n.OpType == "DequantizeLinear").Select(n => model.Graph.FindInitializer(n.Inputs[0])).OfType<TensorData>().Where(t => t.Type == ElementType.Int8).ToList();
        Assert.NotEmpty(codes);
        Assert.All(codes, t => Assert.InRange(t.ToFloatArray().Max(Math.Abs), 1, 7));
        Assert.True(FusionInspector.Inspect(model).IntegerKernels > 0);
    }

    [Fact]
    public void Qat_options_are_checked_before_any_work_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "out.onnx");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--epochs", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--epochs applies to --qat", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mode", "dynamic", "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--qat trains a static QDQ model", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--qat needs training data", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--data", ShrinkCli.SampleImages, "--qat", "--epochs", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--epochs", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Weight_only_qat_writes_the_ptq_models_matmulnbits_layout_and_size_and_keeps_the_best_epoch_on_held_out_samples()
    {
        using var dir = new TempDirectory();
        string ptqPath = Path.Combine(dir.Path, "ptq.onnx"), output = Path.Combine(dir.Path, "qat.onnx"), json = Path.Combine(dir.Path, "r.json");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", ptqPath, "--weights", "int4", "--method", "rtn", "--analysis-samples", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--method", "rtn", "--data", ShrinkCli.SampleImages, "--analysis-samples", "0",
            "--qat", "--epochs", "2", "--train-samples", "256", "--train-batch", "32", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("Quantization-aware training (weight-only)", r.Stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var qat = doc.RootElement.GetProperty("qat");
        Assert.True(qat.GetProperty("held_out").GetBoolean());
        Assert.Equal(125, qat.GetProperty("samples").GetInt64()); // the last eighth of the 1,000 images
        Assert.True(qat.GetProperty("layers").GetInt32() > 0);
        Assert.Equal(2, qat.GetProperty("fine_tune").GetProperty("history").GetArrayLength());
        // The written model is the best of PTQ and the epochs on the held-out samples.
        Assert.True(qat.GetProperty("qat_distillation_loss").GetDouble() <= qat.GetProperty("ptq_distillation_loss").GetDouble());

        var ptq = OnnxModel.Load(ptqPath);
        var model = OnnxModel.Load(output);
        Assert.Equal(ptq.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"), model.Graph.Nodes.Count(n => n.OpType == "MatMulNBits"));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        Assert.Equal(new FileInfo(ptqPath).Length, new FileInfo(output).Length);
        using var session = ModelSession.Open(model);
        Assert.NotEmpty(session.Inputs);
    }

    [Fact]
    public void Weight_only_formats_qat_cannot_train_are_refused_naming_the_option_before_any_work()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "out.onnx");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--group-size", "24", "--data", ShrinkCli.SampleImages, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--group-size 24", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--activations", "int8", "--data", ShrinkCli.SampleImages, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--activations int8", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--qat needs training data", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mixed", "--data", ShrinkCli.SampleImages, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--mixed cannot be trained", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Weight_only_qat_that_makes_the_held_out_loss_worse_writes_the_ptq_model_and_says_so()
    {
        using var dir = new TempDirectory();
        string ptqPath = Path.Combine(dir.Path, "ptq.onnx"), output = Path.Combine(dir.Path, "qat.onnx");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", ptqPath, "--weights", "int4", "--method", "rtn", "--analysis-samples", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        // A learning rate far too high for these weights: every step throws them off their grid.
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--method", "rtn", "--data", ShrinkCli.SampleImages, "--analysis-samples", "0",
            "--qat", "--epochs", "1", "--train-samples", "64", "--train-batch", "16", "--lr", "0.5", "--lr-warmup", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("QAT did not improve on PTQ", r.Stdout, StringComparison.Ordinal);
        var ptq = OnnxModel.Load(ptqPath);
        var written = OnnxModel.Load(output);
        foreach (var (name, tensor) in ptq.Graph.Initializers)
            Assert.True(tensor.RawBytes.SequenceEqual(written.Graph.FindInitializer(name)!.RawBytes), $"initializer '{name}' differs from PTQ's");
    }
}
