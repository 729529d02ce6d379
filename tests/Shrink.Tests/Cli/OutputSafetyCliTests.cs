using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>
/// No run loses an input or leaves a partial output: every path a command writes is checked against the inputs and the
/// other outputs (by what it really names), and outputs appear only when the whole run succeeded.
/// </summary>
public class OutputSafetyCliTests
{
    private static (TempDirectory Dir, string Model, byte[] Bytes) CopySample()
    {
        var dir = new TempDirectory();
        string model = dir.File("m.onnx");
        File.Copy(ShrinkCli.Sample, model);
        File.Copy(Path.ChangeExtension(ShrinkCli.Sample, ".preprocess.json"), dir.File("m.preprocess.json"));
        return (dir, model, File.ReadAllBytes(model));
    }

    [Fact]
    public void Report_naming_the_input_model_is_a_usage_error_and_the_model_is_untouched()
    {
        var (dir, model, bytes) = CopySample();
        using var _ = dir;
        var r = ShrinkCli.Run("quantize", model, "-o", dir.File("out.onnx"), "--mode", "dynamic", "--report", model);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--report", r.Stderr);
        Assert.Equal(bytes, File.ReadAllBytes(model));
        Assert.Equal(["m.onnx", "m.preprocess.json"], dir.ListFiles());
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void Json_naming_the_output_model_is_a_usage_error()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        var r = ShrinkCli.Run("quantize", model, "-o", dir.File("out.onnx"), "--mode", "dynamic", "--json", dir.File("out.onnx"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("name the same file", r.Stderr);
        Assert.Equal(["m.onnx", "m.preprocess.json"], dir.ListFiles());
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void Output_reaching_the_input_through_a_symlink_is_refused()
    {
        var (dir, model, bytes) = CopySample();
        using var _ = dir;
        File.CreateSymbolicLink(dir.File("link.onnx"), model);
        var r = ShrinkCli.Run("quantize", dir.File("link.onnx"), "-o", model, "--mode", "dynamic");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("same file", r.Stderr);
        Assert.Equal(bytes, File.ReadAllBytes(model));
    }

    [Fact]
    public void Output_through_a_symlinked_folder_is_refused()
    {
        var (dir, model, bytes) = CopySample();
        using var _ = dir;
        Directory.CreateSymbolicLink(dir.File("alias"), dir.Path);
        var r = ShrinkCli.Run("prune", model, "-o", Path.Combine(dir.File("alias"), "m.onnx"), "--sparsity", "0.3");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(bytes, File.ReadAllBytes(model));
    }

    [Fact]
    public void A_hard_link_to_the_input_is_the_same_file()
    {
        var (dir, model, bytes) = CopySample();
        using var _ = dir;
        var ln = System.Diagnostics.Process.Start("ln", [model, dir.File("hard.onnx")])!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
        var r = ShrinkCli.Run("quantize", model, "-o", dir.File("hard.onnx"), "--mode", "dynamic");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(bytes, File.ReadAllBytes(model));
    }

    [Fact]
    public void Report_naming_an_existing_folder_is_refused_before_any_work()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        Directory.CreateDirectory(dir.File("reports"));
        var r = ShrinkCli.Run("prune", model, "-o", dir.File("out.onnx"), "--sparsity", "0.3", "--report", dir.File("reports"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("existing folder", r.Stderr);
        Assert.False(File.Exists(dir.File("out.onnx")));
    }

    [Fact]
    public void A_bad_eval_option_fails_before_the_model_is_written()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        var r = ShrinkCli.Run("prune", model, "-o", dir.File("out.onnx"), "--sparsity", "0.3", "--eval-data", "random:8", "--eval-batch", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(["m.onnx", "m.preprocess.json"], dir.ListFiles());
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void A_failure_after_the_model_was_made_leaves_no_output_and_no_staging_folder()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        // Eval data whose samples do not fit the model: the evaluation fails after the pruned model was staged.
        string bad = dir.File("bad.npy");
        WriteNpyFloat(bad, [3, 5], new float[15]);
        var r = ShrinkCli.Run("prune", model, "-o", dir.File("out", "p.onnx"), "--sparsity", "0.3", "--eval-data", bad, "--report", dir.File("p.md"), "--json", dir.File("p.json"));
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.Equal(["bad.npy", "m.onnx", "m.preprocess.json"], dir.ListFiles());
        Assert.False(Directory.Exists(dir.File("out")), "a folder named only by an output is created at commit");
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void A_successful_run_writes_every_output_into_new_folders()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        var r = ShrinkCli.Run("quantize", model, "-o", dir.File("a", "b", "q.onnx"), "--mode", "dynamic", "--report", dir.File("r", "q.md"), "--json", dir.File("q.json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([Path.Combine("a", "b", "q.onnx"), Path.Combine("a", "b", "q.preprocess.json"), "m.onnx", "m.preprocess.json", "q.json", Path.Combine("r", "q.md")], dir.ListFiles());
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path, "*", SearchOption.AllDirectories), d => Path.GetFileName(d).StartsWith(".shrink-staging", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("quantize", "-o", "")]
    [InlineData("quantize", "--report", "")]
    [InlineData("prune", "-o", "")]
    public void Empty_output_paths_are_usage_errors(string command, string option, string value)
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        string[] args = command == "quantize" ? ["quantize", model, "--mode", "dynamic"] : ["prune", model, "--sparsity", "0.3"];
        if (option != "-o") args = [.. args, "-o", dir.File("out.onnx")];
        var r = ShrinkCli.Run([.. args, option, value]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("empty", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
    }

    [Fact]
    public void An_output_that_is_a_fifo_is_refused()
    {
        var (dir, model, _) = CopySample();
        using var _ = dir;
        var mk = System.Diagnostics.Process.Start("mkfifo", [dir.File("pipe.md")])!;
        mk.WaitForExit();
        var r = ShrinkCli.Run("quantize", model, "-o", dir.File("out.onnx"), "--mode", "dynamic", "--report", dir.File("pipe.md"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not a regular file", r.Stderr);
    }

    internal static void WriteNpyFloat(string path, long[] shape, float[] values)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(System.Text.Encoding.ASCII.GetBytes(header));
        foreach (var v in values) f.Write(BitConverter.GetBytes(v));
    }
}
