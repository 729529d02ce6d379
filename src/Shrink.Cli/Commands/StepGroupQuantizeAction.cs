using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Pipelines.Diffusion;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>quantize --pipeline ddim --step-groups N</c>: time-step-aware static quantization of a noise predictor. The steps
/// are split into N consecutive groups; each group's model is calibrated only on the (x, t) of its steps and written as
/// OUT.gK.onnx, and OUT.steps.json (<see cref="DiffusionStepModels"/>) names each model's timesteps for
/// <c>eval --pipeline</c>.
/// </summary>
internal static class StepGroupQuantizeAction
{
    public static Option<int?> CreateOption() => new("--step-groups")
    {
        Description = "With --pipeline: time-step-aware ranges: calibrate one model per group of consecutive steps (e.g. 5 groups of 10 DDIM steps) on that group's steps only; writes OUT.g0.onnx... and the manifest OUT.steps.json, which eval --pipeline takes as its MODEL",
    };

    /// <summary>Refuses --step-groups where it does not apply, before any work.</summary>
    public static void Check(ParseResult parse, Option<int?> groups, bool pipelineGiven, int steps, params Option[] refused)
    {
        if (parse.GetValue(groups) is not int n) return;
        if (!pipelineGiven) throw new UsageException("--step-groups applies to --pipeline; give --pipeline ddim or leave it out.");
        if (n < 1 || n > steps) throw new UsageException($"--step-groups must be in 1..{steps} (--steps), not {n}.");
        foreach (var option in refused)
            if (parse.GetResult(option) is { Implicit: false })
                throw new UsageException($"{option.Name} is not available with --step-groups (one model per group; eval the manifest OUT.steps.json instead).");
    }

    public static int Run(ParseResult parse, OutputTransaction outputs, PipelineArguments pipeline, DataArguments data, OnnxModel onnx, string input, string outPath, int groupCount, StaticQuantizationOptions options)
    {
        if (parse.GetValue(data.Data) is not null)
            throw new UsageException("--pipeline makes the calibration data by running the model's sampling loop; leave out --data.");
        var sampler = pipeline.Sampler(parse, parse.GetValue(data.Seed), options.BatchSize);
        DiffusionInputs.Resolve(Shrink.Runtime.ModelInputs.Of(onnx), input);
        var ranges = DiffusionStepRange.Split(sampler.Steps, groupCount);
        var timesteps = new NoiseSchedule(sampler.Timesteps, sampler.BetaStart, sampler.BetaEnd).SamplingTimesteps(sampler.Steps);
        string manifestPath = DiffusionStepModels.ManifestPath(outPath);
        var paths = Enumerable.Range(0, groupCount).Select(g => DiffusionStepModels.GroupModelPath(outPath, g)).ToArray();
        foreach (var path in paths) outputs.AddOutput("--output (a step group's model)", path);
        outputs.AddOutput("--output (the step-group manifest)", manifestPath);
        // Each written model must run one (x, t) of the loop in ONNX Runtime before anything is moved into place.
        outputs.ProbeData = _ => new DiffusionCalibrationSource(onnx, sampler, 1);
        var groups = new List<DiffusionStepGroup>();
        for (int g = 0; g < groupCount; g++)
        {
            var range = ranges[g];
            Func<IReadOnlyList<Shrink.Data.ModelInputSpec>, Shrink.Data.IDataSource> open = _ => new DiffusionCalibrationSource(onnx, sampler, options.Samples, stepRange: range);
            var result = ConsoleOutput.WithProgress($"quantize group {g}", progress => new StaticQuantizer(options).Quantize(onnx, open, progress));
            outputs.StageModel(result.Model, input, paths[g]);
            int maxT = timesteps[range.First], minT = timesteps[range.End - 1];
            groups.Add(new DiffusionStepGroup { Model = Path.GetFileName(paths[g]), FirstStep = range.First, StepCount = range.Count, MaxT = maxT, MinT = minT });
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"group {g}: steps {range.First}..{range.End - 1} (t = {maxT}..{minT}), {result.QuantizedByOp.Values.Sum()} nodes quantized, calibration {result.CalibrationSeconds:F1} s -> {paths[g]}"));
        }
        var manifest = new DiffusionStepModels { Pipeline = parse.GetValue(pipeline.Pipeline)!, Steps = sampler.Steps, Groups = groups };
        outputs.StageText(manifestPath, manifest.ToJson(), "--output (the step-group manifest)");
        outputs.Commit();
        Console.Out.WriteLine($"wrote {groupCount} models and {manifestPath}; score them with: shrink eval {manifestPath} --pipeline {manifest.Pipeline} --steps {sampler.Steps} ...");
        return ExitCodes.Ok;
    }
}
