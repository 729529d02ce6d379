using System.Text.Json;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>Channel pruning of tiny_mamba's inner channels (d_inner of each block) from the command line.</summary>
public sealed class StateSpacePruneCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Shared(string name) => Path.Combine(RepoPaths.SharedModels, name);

    private (double Perplexity, long Params) Eval(string model)
    {
        string json = _dir.File(Path.GetFileNameWithoutExtension(model) + ".json");
        var r = ShrinkCli.Run("eval", model, "--data", Shared("tiny_gpt.val.npy"), "--samples", "8", "--no-latency", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var perplexity = doc.RootElement.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "perplexity");
        return (perplexity.GetProperty("value").GetDouble(), doc.RootElement.GetProperty("params").GetInt64());
    }

    [SharedFact]
    public void A_quarter_of_each_blocks_inner_channels_goes_and_the_model_still_models_the_text()
    {
        string output = _dir.File("mamba75.onnx");
        string keep = string.Join(",", Enumerable.Range(0, 4).Select(i => $"/layers.{i}/in_proj/MatMul=192"));
        var r = ShrinkCli.Run("prune", Shared("tiny_mamba.onnx"), "-o", output, "--sparsity", "0", "--keep", keep);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        // One group per block: in_proj's x and z chunks, tied to dt_proj through the scan.
        Assert.Equal(4, r.Stdout.Split('\n').Count(l => l.Contains("dt_proj/MatMul, /layers.", StringComparison.Ordinal) && l.Contains("│ 256 ", StringComparison.Ordinal) && l.Contains("│ 192 ", StringComparison.Ordinal)));

        var pruned = OnnxModel.Load(output);
        var inProj = pruned.Graph.Nodes.Single(n => n.Name == "/layers.0/in_proj/MatMul");
        Assert.Equal([128L, 2 * 192], pruned.Graph.FindInitializer(inProj.Inputs[1])!.Dims.ToArray());
        Assert.Equal([192L, 16], pruned.Graph.FindInitializer("layers.0.A_log")!.Dims.ToArray());
        Assert.Equal([192L], pruned.Graph.FindInitializer("layers.3.D")!.Dims.ToArray());

        var (fp32, fp32Params) = Eval(Shared("tiny_mamba.onnx"));
        var (perplexity, parameters) = Eval(output);
        Assert.Equal(492_003, fp32Params);
        Assert.InRange(parameters, 300_000, 400_000);
        Assert.True(double.IsFinite(perplexity), $"perplexity {perplexity}");
        // Data-free l1 on the full validation set: 7.262 vs 6.713 (docs/pruning.md); on 8 windows it stays within 20 %.
        Assert.InRange(perplexity / fp32, 1.0, 1.2);
    }
}
