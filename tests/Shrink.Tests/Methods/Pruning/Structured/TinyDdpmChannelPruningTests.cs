using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Methods.Pruning.Structured;

public class TinyDdpmChannelPruningTests(ITestOutputHelper output)
{
    private static string ModelPath => Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx");

    [SharedFact]
    public void EverySliceOfTheDependencyGraphMatchesItsTensorAndTheConvolutionsArePrunable()
    {
        var model = OnnxModel.Load(ModelPath);
        PreparationProfile.ChannelPruning.Apply(model);
        using var data = new RandomDataSource(ModelInputs.Of(model), new Dictionary<string, long[]>(), 1);
        var graph = ChannelDependencyGraph.Build(model, ValueShapeProbe.Measure(model, data.ReadBatches(1, 1).First()));
        foreach (var g in graph.Groups) output.WriteLine($"{g.Name}: {g.Unit} {(g.Prunable ? "prunable" : string.Join("; ", g.LeftAloneReasons))}");
        foreach (var s in graph.Slices)
        {
            var tensor = model.Graph.FindInitializer(s.Tensor)!;
            Assert.True(tensor.Dims[s.Axis] == s.Layout.Extent, $"{s.Tensor} axis {s.Axis}: {tensor.Dims[s.Axis]} vs layout {s.Layout.Extent} ({s.Role} of {s.Node.DisplayName})");
        }
    }

    [SharedFact]
    public void TheCliPrunesAQuarterOfTheMacsThroughTheGroupNormsAndTheWrittenModelRuns()
    {
        using var dir = new TempDirectory();
        string outPath = Path.Combine(dir.Path, "tiny_ddpm.pruned.onnx");
        var run = ShrinkCli.Run("prune", ModelPath, "-o", outPath, "--sparsity", "0.25", "--channel-multiple", "8");
        output.WriteLine(run.Stdout);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.DoesNotContain("every prunable group is at its floor", run.Stdout + run.Stderr, StringComparison.Ordinal);

        var original = OnnxModel.Load(ModelPath);
        var pruned = OnnxModel.Load(outPath);
        var input = new Dictionary<string, Onnx.TensorProto>
        {
            ["x"] = TinyModels.FloatTensor("x", [2, 1, 28, 28], TinyModels.RandomFloats(2 * 28 * 28, 5)),
            ["t"] = TinyModels.RawTensor("t", TinyModels.Int64, [2], [.. new long[] { 10, 900 }.SelectMany(BitConverter.GetBytes)]),
        };
        var eps = Assert.Single(OrtRunner.RunOnce(pruned.ToByteArray(), input));
        Assert.Equal([2L, 1, 28, 28], eps.Shape);
        using var probe = new RandomDataSource(ModelInputs.Of(original), new Dictionary<string, long[]>(), 1);
        var sample = probe.ReadBatches(1, 1).First();
        long before = ModelStatistics.Compute(original, ValueShapeProbe.Measure(original, sample)).MacsPerSample!.Value;
        long after = ModelStatistics.Compute(pruned, ValueShapeProbe.Measure(pruned, sample)).MacsPerSample!.Value;
        Assert.True(after <= 0.75 * before && after > 0.5 * before, $"MACs {before:N0} -> {after:N0}");
        // Some convolution lost channels: the GroupNorms no longer stop the pruning at the time embedding.
        Assert.True(pruned.Graph.FindInitializer("r2.c1.weight")!.Dims[0] < 64 || pruned.Graph.FindInitializer("r3.c1.weight")!.Dims[0] < 64);
    }

    [SharedFact]
    public void WithPipelineTheCalibrationComesFromTheSamplingLoopAndMisuseIsAUsageError()
    {
        using var dir = new TempDirectory();
        string outPath = dir.File("tiny_ddpm.pruned.onnx");
        var run = ShrinkCli.Run("prune", ModelPath, "-o", outPath, "--sparsity", "0.25", "--channel-multiple", "8", "--pipeline", "ddim", "--steps", "10", "--samples", "16");
        output.WriteLine(run.Stdout);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.Contains("16 samples", run.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(outPath));

        var steps = ShrinkCli.Run("prune", ModelPath, "-o", dir.File("a.onnx"), "--sparsity", "0.25", "--steps", "10");
        Assert.Equal(2, steps.ExitCode);
        Assert.Contains("--steps applies to --pipeline", steps.Stderr, StringComparison.Ordinal);
        var both = ShrinkCli.Run("prune", ModelPath, "-o", dir.File("b.onnx"), "--sparsity", "0.25", "--pipeline", "ddim", "--data", "random:8");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("leave out --data", both.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("a.onnx")) || File.Exists(dir.File("b.onnx")));
    }
}
