using Shrink.Pipelines.Diffusion;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Pipelines.Diffusion;

public class DiffusionStepModelsTests
{
    private static DiffusionStepModels TwoGroups => new()
    {
        Pipeline = "ddim",
        Steps = 4,
        Groups =
        [
            new DiffusionStepGroup { Model = "q.g0.onnx", FirstStep = 0, StepCount = 2, MaxT = 750, MinT = 500 },
            new DiffusionStepGroup { Model = "q.g1.onnx", FirstStep = 2, StepCount = 2, MaxT = 250, MinT = 0 },
        ],
    };

    [Fact]
    public void The_manifest_round_trips_and_its_model_paths_resolve_beside_it()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("q.g0.onnx"), "");
        File.WriteAllText(dir.File("q.g1.onnx"), "");
        string path = DiffusionStepModels.ManifestPath(dir.File("q.onnx"));
        Assert.Equal(dir.File("q.steps.json"), path);
        Assert.Equal(dir.File("q.g1.onnx"), DiffusionStepModels.GroupModelPath(dir.File("q.onnx"), 1));
        File.WriteAllText(path, TwoGroups.ToJson());
        Assert.Contains("\"min_t\": 500", File.ReadAllText(path));
        var read = DiffusionStepModels.Read(path);
        Assert.Equal("ddim", read.Pipeline);
        Assert.Equal(4, read.Steps);
        Assert.Equal([dir.File("q.g0.onnx"), dir.File("q.g1.onnx")], read.Groups.Select(g => g.Model));
        Assert.Equal([500, 0], read.Groups.Select(g => g.MinT));
        Assert.Equal([2, 2], read.Groups.Select(g => g.StepCount));
        Assert.True(DiffusionStepModels.IsManifest(path));
    }

    [Fact]
    public void Bad_manifests_are_refused_naming_the_file_and_the_problem()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("q.g0.onnx"), "");
        string path = dir.File("q.steps.json");
        File.WriteAllText(path, TwoGroups.ToJson());
        Assert.Contains("group 1's model", Assert.Throws<ShrinkException>(() => DiffusionStepModels.Read(path)).Message);
        File.WriteAllText(dir.File("q.g1.onnx"), "");
        File.WriteAllText(path, (TwoGroups with { Groups = [.. TwoGroups.Groups.Reverse()] }).ToJson());
        Assert.Contains("noisiest first", Assert.Throws<ShrinkException>(() => DiffusionStepModels.Read(path)).Message);
        File.WriteAllText(path, "{\"format\": \"other\", \"pipeline\": \"ddim\", \"steps\": 4, \"groups\": []}");
        Assert.Contains(path, Assert.Throws<ShrinkException>(() => DiffusionStepModels.Read(path)).Message);
        File.WriteAllText(path, "not json");
        Assert.Contains("not a step-group manifest", Assert.Throws<ShrinkException>(() => DiffusionStepModels.Read(path)).Message);
    }

    [Fact]
    public void Steps_split_into_even_consecutive_groups()
    {
        Assert.Equal([new(0, 10), new(10, 10), new(20, 10), new(30, 10), new(40, 10)], DiffusionStepRange.Split(50, 5));
        Assert.Equal([new(0, 2), new(2, 3), new(5, 2), new(7, 3)], DiffusionStepRange.Split(10, 4));
        Assert.Throws<OptionsException>(() => DiffusionStepRange.Split(4, 5));
        Assert.Throws<OptionsException>(() => DiffusionStepRange.Split(4, 0));
    }
}
