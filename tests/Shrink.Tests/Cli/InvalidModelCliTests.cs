using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>
/// Invalid models are refused by every command with exit 1 and a message naming the culprit, never an internal error
/// or a silently written output.
/// </summary>
public sealed class InvalidModelCliTests
{
    private static void AssertRefused(ShrinkCli.Result r, params string[] named)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("internal error", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
        foreach (var n in named) Assert.Contains(n, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_input_dimension_is_refused_by_inspect_quantize_and_prune()
    {
        using var dir = new TempDirectory();
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Input[0] = TinyModels.FloatInfo("x", 1, -5);
        foreach (var node in model.Graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == "input") node.Input[i] = "x";
        string path = TinyModels.WriteTo(model, dir.File("negative.onnx"));
        const string message = "input 'x' declares dimension -5 at axis 1";

        AssertRefused(ShrinkCli.Run("inspect", path), "negative.onnx", message);
        AssertRefused(ShrinkCli.Run("quantize", path, "-o", dir.File("q.onnx"), "--data", "random:4"), message);
        AssertRefused(ShrinkCli.Run("prune", path, "-o", dir.File("p.onnx"), "--sparsity", "0.5"), message);
        Assert.Equal(["negative.onnx"], dir.ListFiles());
    }

    [Fact]
    public void Two_default_opset_imports_are_refused_by_inspect_and_eval()
    {
        using var dir = new TempDirectory();
        var model = TinyModels.MatMulReluAdd();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx", Version = 13 });
        string path = TinyModels.WriteTo(model, dir.File("two-opsets.onnx"));

        AssertRefused(ShrinkCli.Run("inspect", path), "two-opsets.onnx", "'ai.onnx' opset twice");
        AssertRefused(ShrinkCli.Run("eval", path, "--data", "random:4"), "'ai.onnx' opset twice");
    }

    [Fact]
    public void A_graph_without_outputs_is_refused_by_quantize_and_prune()
    {
        using var dir = new TempDirectory();
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Output.Clear();
        string path = TinyModels.WriteTo(model, dir.File("no-outputs.onnx"));

        AssertRefused(ShrinkCli.Run("quantize", path, "-o", dir.File("q.onnx"), "--data", "random:4"), "declares no outputs");
        AssertRefused(ShrinkCli.Run("quantize", path, "-o", dir.File("w.onnx"), "--mode", "dynamic"), "declares no outputs");
        AssertRefused(ShrinkCli.Run("prune", path, "-o", dir.File("p.onnx"), "--sparsity", "0.5"), "declares no outputs");
        Assert.Equal(["no-outputs.onnx"], dir.ListFiles());
    }

    [Fact]
    public void An_empty_model_argument_is_a_usage_error()
    {
        foreach (var args in new[] { new[] { "inspect", "" }, ["eval", "", "--data", "random:2"], ["quantize", "", "-o", "x.onnx", "--mode", "dynamic"] })
        {
            var r = ShrinkCli.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.DoesNotContain("internal error", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("empty", r.Stderr, StringComparison.Ordinal);
        }
    }

    [UnixFact]
    public void A_fifo_as_model_is_refused_instead_of_blocking()
    {
        using var dir = new TempDirectory();
        string fifo = SpecialFiles.Fifo(dir.File("pipe.onnx"));
        AssertRefused(ShrinkCli.Run("inspect", fifo), "pipe.onnx", "FIFO");
    }

    [Fact]
    public void Inspect_fails_with_invalid_model_when_onnx_runtime_refuses_to_load_it()
    {
        // Structurally sound, but Add of a float and an int64 tensor has no type ONNX Runtime can infer.
        using var dir = new TempDirectory();
        var model = TinyModels.MatMulReluAdd();
        model.Graph.Initializer[1] = TinyModels.RawTensor("b", TinyModels.Int64, [3], new byte[24]);
        string path = TinyModels.WriteTo(model, dir.File("type-clash.onnx"));

        var r = ShrinkCli.Run("inspect", path);

        AssertRefused(r, "invalid model", "type-clash.onnx");
        Assert.DoesNotContain("MACs not measured", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_of_a_valid_tiny_model_still_succeeds()
    {
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(TinyModels.MatMulReluAdd(), dir.File("tiny.onnx"));

        var r = ShrinkCli.Run("inspect", path);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("matmul", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("MACs not measured", r.Stdout, StringComparison.Ordinal);
    }
}
