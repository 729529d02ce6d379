using Shrink.Model;
using Shrink.Pipelines.Diffusion;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Pipelines.Diffusion;

public class DiffusionCalibrationSourceTests
{
    private static OnnxModel TinyDdpm => OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx"));

    [SharedFact]
    public void Samples_cover_the_steps_evenly_stream_in_full_batches_and_repeat_on_every_pass()
    {
        using var source = new DiffusionCalibrationSource(TinyDdpm, new DiffusionSamplerOptions { Steps = 5, BatchSize = 4 }, count: 10);
        Assert.Equal(2, source.Trajectories); // ⌈10/8⌉ = 2, and 10 samples over 5 steps need at least 2
        Assert.Equal([0, 1, 2, 3, 4], source.StepsOf(0)); // 5 samples over 5 steps: one from each
        var first = source.ReadBatches(4).ToList();
        Assert.Equal([4, 4, 2], first.Select(b => b.Count));
        var ts = first.SelectMany(b => (long[])b.Inputs.Single(i => i.Name == "t").Data).ToList();
        Assert.Equal(10, ts.Count);
        foreach (long t in new long[] { 800, 600, 400, 200, 0 })
            Assert.Equal(2, ts.Count(v => v == t)); // every step twice: once per trajectory
        long calls = source.ModelCalls;
        Assert.Equal(4, calls); // both trajectories in one batch, advanced 4 steps (none after the last sample)
        var second = source.ReadBatches(3).ToList();
        Assert.Equal(calls, source.ModelCalls); // replayed from memory
        Assert.Equal(first.SelectMany(b => (float[])b.Inputs[0].Data), second.SelectMany(b => (float[])b.Inputs[0].Data));
        Assert.Single(source.ReadBatches(1, 1));
    }

    [SharedFact]
    public void Each_trajectory_takes_one_step_from_each_stretch()
    {
        using var source = new DiffusionCalibrationSource(TinyDdpm, new DiffusionSamplerOptions { Steps = 50, Seed = 3 }, count: 64);
        Assert.Equal(8, source.Trajectories);
        for (long j = 0; j < 8; j++)
        {
            var steps = source.StepsOf(j);
            Assert.Equal(8, steps.Length);
            for (int r = 0; r < 8; r++) Assert.InRange(steps[r], r * 50 / 8, (r + 1) * 50 / 8 - 1);
        }
        Assert.NotEqual(source.StepsOf(0), source.StepsOf(1));
    }

    [SharedFact]
    public void A_step_range_gives_samples_from_its_steps_only()
    {
        var options = new DiffusionSamplerOptions { Steps = 10, BatchSize = 4 }; // t = 900, 800, ..., 0
        using var source = new DiffusionCalibrationSource(TinyDdpm, options, count: 12, stepRange: new DiffusionStepRange(4, 3));
        Assert.Equal(new DiffusionStepRange(4, 3), source.StepRange);
        Assert.Equal(4, source.Trajectories); // 12 samples over 3 steps need at least 4 trajectories
        for (long j = 0; j < source.Trajectories; j++)
            Assert.All(source.StepsOf(j), s => Assert.InRange(s, 4, 6));
        var ts = source.ReadBatches(5).SelectMany(b => (long[])b.Inputs.Single(i => i.Name == "t").Data).ToList();
        Assert.Equal(12, ts.Count);
        Assert.All(ts, t => Assert.Contains(t, new long[] { 500, 400, 300 }));
        Assert.Equal(4, ts.Count(t => t == 500)); // 3 samples per trajectory over 3 steps: each step once per trajectory
        Assert.Contains("steps 4..6 (t = 500 .. 300)", source.Description);
        Assert.Throws<OptionsException>(() => new DiffusionCalibrationSource(TinyDdpm, options, count: 12, stepRange: new DiffusionStepRange(8, 3)));
    }

    [Fact]
    public void Too_few_trajectories_for_the_samples_are_refused()
    {
        var e = Assert.Throws<OptionsException>(() => new DiffusionCalibrationSource(OnnxModel.Load(ShrinkCli.Sample), new DiffusionSamplerOptions { Steps = 5 }, count: 100, trajectories: 10));
        Assert.Contains("need 20..100 trajectories", e.Message);
    }
}
