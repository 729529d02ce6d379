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
        Assert.Equal(2, qat.GetProperty("dequantize_layers").GetInt32()); // cnn_small's two Conv kernels, trained too
        Assert.Equal(0, qat.GetProperty("embedding_tables").GetInt32()); // no Gather tables in cnn_small
        Assert.Equal(0, qat.GetProperty("frozen_layers").GetInt32());
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
    public void Weight_only_qat_trains_groups_matmulnbits_cannot_carry_and_writes_them_back_as_the_same_dequantize_linear()
    {
        using var dir = new TempDirectory();
        string ptqPath = Path.Combine(dir.Path, "ptq.onnx"), output = Path.Combine(dir.Path, "qat.onnx"), json = Path.Combine(dir.Path, "r.json");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", ptqPath, "--weights", "int3", "--group-size", "24", "--method", "rtn", "--analysis-samples", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int3", "--group-size", "24", "--method", "rtn", "--data", ShrinkCli.SampleImages,
            "--analysis-samples", "0", "--qat", "--epochs", "1", "--train-samples", "256", "--train-batch", "32", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var qat = doc.RootElement.GetProperty("qat");
        Assert.Equal(0, qat.GetProperty("layers").GetInt32());
        Assert.Equal(4, qat.GetProperty("dequantize_layers").GetInt32()); // every layer: groups of 24 are no MatMulNBits block

        var ptq = OnnxModel.Load(ptqPath);
        var model = OnnxModel.Load(output);
        Assert.Equal(ptq.Graph.Nodes.Select(n => (n.Name, n.OpType)), model.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        Assert.Equal(4, model.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear"));
        Assert.Equal(3, model.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear" && n.GetInt("block_size", 0) == 24)); // the first Conv's 9 columns: per channel
        Assert.Equal(new FileInfo(ptqPath).Length, new FileInfo(output).Length);
        using var session = ModelSession.Open(model);
        Assert.NotEmpty(session.Inputs);
    }

    [Fact]
    public void Mixed_precision_qat_trains_each_layer_at_its_planned_width_and_writes_the_ptq_layout_and_size()
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(dir.Path, "cnn.onnx");
        File.Copy(ShrinkCli.Sample, model);
        File.Copy(Path.ChangeExtension(ShrinkCli.Sample, ".preprocess.json"), Path.Combine(dir.Path, "cnn.preprocess.json"));
        string ptqPath = Path.Combine(dir.Path, "ptq.onnx"), output = Path.Combine(dir.Path, "qat.onnx"), json = Path.Combine(dir.Path, "r.json");
        string[] mixed = ["--mixed", "--size-ratio", "0.2", "--bits", "2,4,8", "--sensitivity", "perturbation", "--data", ShrinkCli.SampleImages, "--samples", "64"];
        var r = ShrinkCli.Run(["quantize", model, "-o", ptqPath, .. mixed]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        r = ShrinkCli.Run(["quantize", model, "-o", output, .. mixed, "--qat", "--epochs", "2", "--train-samples", "256", "--train-batch", "32", "--json", json]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("Quantization-aware training (weight-only)", r.Stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var bits = root.GetProperty("layer_bits").EnumerateObject().Select(p => p.Value.GetInt32()).ToList();
        Assert.True(bits.Distinct().Count() > 1, "a 0.2 budget between uniform 4 and 8 bits should mix widths");
        var qat = root.GetProperty("qat");
        Assert.Equal(bits.Count(b => b > 0), qat.GetProperty("layers").GetInt32() + qat.GetProperty("dequantize_layers").GetInt32());
        Assert.True(qat.GetProperty("held_out").GetBoolean());
        Assert.True(qat.GetProperty("qat_distillation_loss").GetDouble() <= qat.GetProperty("ptq_distillation_loss").GetDouble());
        Assert.Equal(2, qat.GetProperty("fine_tune").GetProperty("history").GetArrayLength());

        // The same plan, layout and size as mixed PTQ, and ONNX Runtime loads it.
        var ptq = OnnxModel.Load(ptqPath);
        var written = OnnxModel.Load(output);
        Assert.Equal(ptq.Graph.Nodes.Select(n => (n.Name, n.OpType)), written.Graph.Nodes.Select(n => (n.Name, n.OpType)));
        Assert.Equal(new FileInfo(ptqPath).Length, new FileInfo(output).Length);
        Assert.True(root.GetProperty("size_bytes").GetInt64() <= root.GetProperty("budget_value").GetInt64());
        using var session = ModelSession.Open(written);
        Assert.NotEmpty(session.Inputs);
    }

    [Fact]
    public void Weight_only_and_mixed_qat_options_it_cannot_train_are_refused_naming_the_option_before_any_work()
    {
        using var dir = new TempDirectory();
        string output = Path.Combine(dir.Path, "out.onnx");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--activations", "int8", "--data", ShrinkCli.SampleImages, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--activations int8", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mixed", "--size-ratio", "0.2", "--activations", "int8", "--data", ShrinkCli.SampleImages, "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--activations int8", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--weights", "int4", "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--qat needs training data", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mixed", "--size-ratio", "0.2", "--qat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--qat needs training data", r.Stderr, StringComparison.Ordinal);
        r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", output, "--mixed", "--size-ratio", "0.2", "--data", ShrinkCli.SampleImages, "--qat", "--mode", "dynamic");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--mode dynamic cannot be trained", r.Stderr, StringComparison.Ordinal);
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
