using System.Buffers.Binary;
using System.Text;
using Shrink.Pipelines.Diffusion;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Pipelines.Diffusion;

public class DiffusionSamplerTests
{
    private static string TinyDdpm => Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx");

    /// <summary>ddim_first_steps.npy (make_ddim_fixture.py): float32 [4,2,1,28,28], the noise then x after PyTorch's first 3 DDIM-50 steps.</summary>
    private static float[] ReadFixture(out long[] shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.RepoRoot, "tests", "Shrink.Tests", "Fixtures", "Diffusion", "ddim_first_steps.npy"));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'shape': (4, 2, 1, 28, 28)", header);
        shape = [4, 2, 1, 28, 28];
        var data = new float[4 * 2 * 784];
        Buffer.BlockCopy(bytes, 10 + headerLength, data, 0, data.Length * 4);
        return data;
    }

    [SharedFact]
    public void Reproduces_the_PyTorch_samplers_first_steps_on_given_noise()
    {
        var fixture = ReadFixture(out _);
        const int batch = 2 * 784;
        using var session = ModelSession.Open(TinyDdpm);
        var sampler = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 50 });
        Assert.Equal([980, 960, 940], sampler.Timesteps.Take(3));
        var x = fixture.AsSpan(0, batch).ToArray();
        var seen = new List<int>();
        var state = sampler.Start(x, 2);
        for (int step = 1; step <= 3; step++)
        {
            var before = (float[])x.Clone();
            sampler.Advance(state);
            var expected = fixture.AsSpan(step * batch, batch);
            double error = 0, moved = 0;
            for (int i = 0; i < batch; i++)
            {
                error = Math.Max(error, Math.Abs(x[i] - expected[i]));
                moved = Math.Max(moved, Math.Abs(expected[i] - before[i]));
            }
            Assert.True(error <= 1e-4, $"step {step}: max |C# − PyTorch| = {error:E2}");
            Assert.True(moved > 1e-3, $"step {step} moves x by {moved:E2}, too little for the comparison to mean anything");
            seen.Add(state.NextStep);
        }
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal(3, sampler.ModelCalls);
    }

    [SharedFact]
    public void Denoise_runs_the_given_number_of_steps_and_calls_back_before_each()
    {
        using var session = ModelSession.Open(TinyDdpm);
        var sampler = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 10 });
        var x = sampler.InitialNoise(0, 2);
        var visited = new List<(int Step, int T)>();
        sampler.Denoise(x, 2, beforeStep: (i, t, _) => visited.Add((i, t)), steps: 3);
        Assert.Equal([(0, 900), (1, 800), (2, 700)], visited);
    }

    [SharedFact]
    public void Ddpm_adds_seeded_noise_each_step_so_it_differs_from_ddim_but_repeats_itself()
    {
        using var session = ModelSession.Open(TinyDdpm);
        float[] Run(double eta)
        {
            var sampler = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 3, Eta = eta, Seed = 7 });
            return sampler.Generate(2).Single();
        }
        var ddim = Run(0);
        var ddpm = Run(1);
        Assert.Equal(ddpm, Run(1));
        Assert.True(ddim.Zip(ddpm).Max(p => Math.Abs(p.First - p.Second)) > 0.05);
        Assert.All(ddim, v => Assert.InRange(v, -1.0001f, 1.0001f)); // the last step returns the clipped x₀
    }

    [SharedFact]
    public void Generated_samples_do_not_depend_on_the_batch_size()
    {
        using var session = ModelSession.Open(TinyDdpm);
        var whole = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 2, BatchSize = 3 }).Generate(3).Single();
        var split = new DiffusionSampler(session, new DiffusionSamplerOptions { Steps = 2, BatchSize = 2 }).Generate(3).SelectMany(b => b).ToArray();
        Assert.Equal(whole.Length, split.Length);
        Assert.True(whole.Zip(split).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }

    [Fact]
    public void A_model_without_sample_and_timestep_inputs_is_refused_naming_its_inputs()
    {
        using var session = ModelSession.Open(ShrinkCli.Sample);
        var e = Assert.Throws<ShrinkException>(() => new DiffusionSampler(session, new DiffusionSamplerOptions()));
        Assert.Contains("cnn_small.onnx", e.Message);
        Assert.Contains("integer timestep t", e.Message);
        Assert.Contains("'input' float", e.Message);
    }

    [Fact]
    public void Steps_beyond_the_training_timesteps_are_refused()
    {
        var e = Assert.Throws<OptionsException>(() => new DiffusionSamplerOptions { Steps = 1001 }.Validate());
        Assert.Contains("--steps must be in 1..1000", e.Message);
    }
}
