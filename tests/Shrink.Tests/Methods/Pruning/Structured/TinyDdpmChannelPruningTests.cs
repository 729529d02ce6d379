using Shrink.Data;
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
}
