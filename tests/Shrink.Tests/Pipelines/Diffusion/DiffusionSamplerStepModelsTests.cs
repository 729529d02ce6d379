using Onnx;
using Shrink.Model;
using Shrink.Pipelines.Diffusion;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Pipelines.Diffusion;

public class DiffusionSamplerStepModelsTests
{
    /// <summary>A noise predictor ε = c·x on x [batch,1,2,2] with an (unused) timestep t [batch].</summary>
    private static ModelSession Scaled(TempDirectory dir, float c)
    {
        var graph = new GraphProto { Name = "eps" };
        graph.Input.Add(FloatInfo("x", "batch", 1, 2, 2));
        graph.Input.Add(TensorInfo("t", TinyModels.Int64, "batch"));
        graph.Output.Add(FloatInfo("eps", "batch", 1, 2, 2));
        graph.Initializer.Add(FloatTensor("c", [], [c]));
        graph.Node.Add(Node("Mul", ["x", "c"], ["eps"], "scale"));
        string path = WriteTo(BuildModel(graph), dir.File($"eps{c}.onnx"));
        return ModelSession.Open(OnnxModel.Load(path));
    }

    [Fact]
    public void Each_step_runs_the_model_of_its_timestep_group()
    {
        using var dir = new TempDirectory();
        using var early = Scaled(dir, 0.5f);
        using var late = Scaled(dir, -0.25f);
        var options = new DiffusionSamplerOptions { Steps = 4, BatchSize = 2 }; // t = 750, 500, 250, 0
        var both = new DiffusionSampler([new DiffusionTimestepModel(early, 500), new DiffusionTimestepModel(late, 0)], options);
        var onlyEarly = new DiffusionSampler(early, options);
        var onlyLate = new DiffusionSampler(late, options);
        var x = both.InitialNoise(0, 2);
        var switched = (float[])x.Clone();
        both.Denoise(switched, 2);

        // The same loop by hand: steps 0-1 (t = 750, 500) with the early model, steps 2-3 (t = 250, 0) with the late one.
        var manual = (float[])x.Clone();
        var batch = onlyEarly.Start(manual, 2);
        onlyEarly.Advance(batch);
        onlyEarly.Advance(batch);
        onlyLate.Advance(batch);
        onlyLate.Advance(batch);
        Assert.Equal(manual, switched);

        var single = (float[])x.Clone();
        onlyEarly.Denoise(single, 2);
        Assert.NotEqual(single, switched);
        Assert.Equal(4, both.ModelCalls);
    }

    [Fact]
    public void Models_with_other_inputs_are_refused_naming_them()
    {
        using var dir = new TempDirectory();
        using var eps = Scaled(dir, 1f);
        using var other = ModelSession.Open(OnnxModel.Load(WriteTo(MatMulReluAdd(), dir.File("other.onnx"))));
        var e = Assert.Throws<ShrinkException>(() => new DiffusionSampler([new DiffusionTimestepModel(eps, 500), new DiffusionTimestepModel(other, 0)], new DiffusionSamplerOptions { Steps = 4 }));
        Assert.Contains("other.onnx", e.Message);
    }
}
