using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Docs;

/// <summary>
/// The README's library example is this file's code between the README markers, compiled with the tests and run on the
/// shipped sample: a README example that no longer builds or runs fails here.
/// </summary>
public class ReadmeExampleTests
{
    private const string Begin = "// README example: begin";
    private const string End = "// README example: end";

    private static string SourcePath => Path.Combine(RepoPaths.RepoRoot, "tests", "Shrink.Tests", "Docs", "ReadmeExampleTests.cs");

    [Fact]
    public void Library_example_quantizes_the_sample_and_evaluates_it()
    {
        using var dir = new TempDirectory();
        string modelPath = ShrinkCli.Sample, outPath = dir.File("cnn_small.int8.onnx");
        string trainImages = Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz"), testImages = ShrinkCli.SampleImages;

        // README example: begin
        var preprocessing = Preprocessing.LoadSidecar(modelPath) ?? new();    // scale, mean, std from MODEL.preprocess.json
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string data) =>  // samples shaped for the model's inputs
            inputs => DataSourceFactory.Open(data, new DataOptions { Preprocessing = preprocessing }, inputs);

        var model = OnnxModel.Load(modelPath);                                 // validated; the graph IR is model.Graph
        var int8 = new StaticQuantizer(new StaticQuantizationOptions()).Quantize(model, Open(trainImages));
        Console.WriteLine($"{int8.Fusion!.IntegerKernels} integer kernels, output SQNR {int8.Output?.OutputSqnrDb:F1} dB");
        int8.Model.Save(outPath);                                              // atomic; over 2 GB goes to external data

        var eval = new ModelEvaluator().Evaluate(outPath, referencePath: modelPath, Open(testImages));
        Console.WriteLine($"accuracy {eval.ReferenceAccuracy:P2} -> {eval.Accuracy:P2}, speedup at batch 64: {eval.Speedup?["64"]:F2}x");
        // README example: end

        Assert.True(int8.Fusion.IntegerKernels >= 3, $"{int8.Fusion.IntegerKernels} integer kernels");
        Assert.True(new FileInfo(outPath).Length < 0.3 * new FileInfo(modelPath).Length);
        Assert.Equal(1_000, eval.Samples);
        Assert.True(eval.Top1Agreement >= 0.97, $"top-1 agreement {eval.Top1Agreement:P2}");
        Assert.True(Math.Abs(eval.ReferenceAccuracy!.Value - eval.Accuracy!.Value) <= 0.01, $"int8 {eval.Accuracy:F4} vs fp32 {eval.ReferenceAccuracy:F4}");
        Assert.Equal(["1", "64"], eval.Speedup!.Keys.Order());
    }

    [Fact]
    public void Readme_shows_the_tested_example_with_its_usings()
    {
        var source = File.ReadAllLines(SourcePath);
        int begin = Array.FindIndex(source, l => l.Trim() == Begin), end = Array.FindIndex(source, l => l.Trim() == End);
        Assert.True(begin >= 0 && end > begin, $"{SourcePath} has no README example markers");
        var body = source[(begin + 1)..end];
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string example = string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));

        string readme = File.ReadAllText(Path.Combine(RepoPaths.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        Assert.True(readme.Contains(example, StringComparison.Ordinal), "README.md no longer shows the code of ReadmeExampleTests between its markers; copy it from there:\n" + example);

        // The README's usings are the ones this file compiles with (Shrink's namespaces move; a stale using would not build).
        int block = readme.IndexOf(example, StringComparison.Ordinal);
        int fence = readme.LastIndexOf("```csharp", block, StringComparison.Ordinal);
        var readmeUsings = readme[fence..block].Split('\n').Where(l => l.StartsWith("using ", StringComparison.Ordinal)).ToList();
        var sourceUsings = source.Where(l => l.StartsWith("using Shrink.", StringComparison.Ordinal) && !l.StartsWith("using Shrink.Tests", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(readmeUsings);
        Assert.Equal(sourceUsings, readmeUsings);
    }
}
