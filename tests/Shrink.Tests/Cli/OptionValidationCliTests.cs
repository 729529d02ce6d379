using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>Option values a user can mistype are refused with exit 2 before any work, naming the option (never silently dropped).</summary>
public class OptionValidationCliTests
{
    [Theory]
    [InlineData("--percentile", "-1")]
    [InlineData("--percentile", "101")]
    [InlineData("--percentile", "NaN")]
    [InlineData("--analysis-samples", "-1")]
    public void Quantize_refuses_out_of_range_values(string option, string value)
    {
        using var dir = new TempDirectory();
        string[] extra = option == "--percentile" ? ["--calibration", "percentile"] : [];
        var r = ShrinkCli.Run(["quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--data", "random:4", .. extra, option, value]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [Theory]
    [InlineData("--runs", "-1")]
    [InlineData("--warmup", "-1")]
    [InlineData("--batch", "1,,64")]
    [InlineData("--batch", ",")]
    public void Eval_refuses_bad_counts_and_lists(string option, string value)
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", "random:2", option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
    }

    [Fact]
    public void Bits_with_an_empty_item_is_refused()
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("sensitivity", ShrinkCli.Sample, "--data", "random:4", "--bits", "3,,4", "--no-cache");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--bits", r.Stderr);
    }

    [Theory]
    [InlineData("/c1/Conv=4,/c1/Conv=8", "twice")]
    [InlineData(",,,", "--keep")]
    [InlineData("/c1/Cnv=4", "did you mean '/c1/Conv'")]
    public void Keep_refuses_duplicates_empty_lists_and_unknown_nodes(string value, string expected)
    {
        using var dir = new TempDirectory();
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("p.onnx"), "--sparsity", "0.3", "--keep", value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [Fact]
    public void Exclude_nodes_naming_a_missing_node_lists_close_names()
    {
        using var dir = new TempDirectory();
        string real = Shrink.Model.OnnxModel.Load(ShrinkCli.Sample).Graph.Nodes.First(n => n.OpType == "Gemm" || n.OpType == "MatMul").Name;
        string typo = real[..^1] + (real[^1] == 'x' ? 'y' : 'x');
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--mode", "dynamic", "--exclude-nodes", typo);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"'{real}'", r.Stderr);
        Assert.Empty(dir.ListFiles());
    }

    [Theory]
    [InlineData("nosuch=1,1,28,28", "not an input")]
    [InlineData("input=1,28,28", "rank")]
    public void Input_shape_must_name_an_input_with_its_rank(string value, string expected)
    {
        using var dir = new TempDirectory();
        string input = Shrink.Model.OnnxModel.Load(ShrinkCli.Sample).Graph.Inputs[0].Name;
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("p.onnx"), "--sparsity", "0.3", "--input-shape", value.Replace("input=", input + "=", StringComparison.Ordinal));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
    }
}
