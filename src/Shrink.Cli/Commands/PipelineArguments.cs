using System.CommandLine;
using Shrink.Data;
using Shrink.Model;
using Shrink.Pipelines.Diffusion;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>--pipeline</c>: the model is called in a loop (a diffusion noise predictor in its sampler). <c>quantize</c>
/// calibrates on the (x, t) the float model's own loop visits; <c>eval</c> generates images and scores them by Fréchet
/// distance on a classifier's features (<c>--fd-model</c>, <c>--fd-data</c>).
/// </summary>
internal sealed class PipelineArguments(bool evaluation)
{
    public Option<string?> Pipeline { get; } = CreatePipeline(evaluation);
    public Option<int> Steps { get; } = new("--steps") { Description = "With --pipeline: sampling steps (model calls per sample), t = 980, 960, ..., 0 for 50 of 1000", DefaultValueFactory = _ => 50 };
    public Option<string?> FdModel { get; } = new("--fd-model") { Description = "With --pipeline: the classifier whose penultimate features (the input of its last Gemm/MatMul) the Fréchet distance compares; preprocessing from its .preprocess.json" };
    public Option<string?> FdData { get; } = new("--fd-data") { Description = "With --pipeline: the real images the generated ones are compared with (IDX, .npy or an image folder)" };
    public Option<long?> FdSamples { get; } = new("--fd-samples") { Description = "With --pipeline: use at most this many real images (default all)" };

    private static Option<string?> CreatePipeline(bool evaluation)
    {
        var option = new Option<string?>("--pipeline")
        {
            Description = evaluation
                ? "Run the model (a diffusion noise predictor: x [batch,...] float, t [batch] int) in a sampler and score its --samples images by Fréchet distance (--fd-model, --fd-data): ddim (DDIM, η=0) or ddpm (η=1); seeded by --seed (Shrink's own noise generator, not PyTorch's)"
                : "Calibrate a diffusion noise predictor (x [batch,...] float, t [batch] int) on the (x, t) its float sampling loop visits, drawn uniformly over the steps from seeded noise (Q-Diffusion), instead of --data: ddim (η=0) or ddpm (η=1); --samples pairs, --seed",
        };
        option.AcceptOnlyFromAmong("ddim", "ddpm");
        return option;
    }

    public void AddTo(Command command)
    {
        command.Add(Pipeline);
        command.Add(Steps);
        if (!evaluation) return;
        command.Add(FdModel);
        command.Add(FdData);
        command.Add(FdSamples);
    }

    /// <summary>True when --pipeline was given.</summary>
    public bool Given(ParseResult parse) => parse.GetValue(Pipeline) is not null;

    /// <summary>Refuses the options that need --pipeline when it was not given.</summary>
    public void RefuseWithout(ParseResult parse)
    {
        OptionScope.Require(parse, Given(parse), "--pipeline", "give --pipeline ddim or leave it out", evaluation ? [Steps, FdModel, FdData, FdSamples] : [Steps]);
    }

    /// <summary>The sampler the options describe (checked).</summary>
    public DiffusionSamplerOptions Sampler(ParseResult parse, int seed, int batchSize)
    {
        var options = new DiffusionSamplerOptions
        {
            Steps = parse.GetValue(Steps),
            Eta = parse.GetValue(Pipeline) == "ddpm" ? 1 : 0,
            Seed = seed,
            BatchSize = batchSize,
        };
        options.Validate();
        return options;
    }

    /// <summary>
    /// Checks --pipeline for <c>quantize</c> before any work: no --data beside it, and the model is a noise predictor;
    /// returns the calibration data it opens.
    /// </summary>
    public Func<IReadOnlyList<ModelInputSpec>, IDataSource> CalibrationData(ParseResult parse, DataArguments data, OnnxModel model, string modelPath, long samples, int batchSize)
    {
        if (parse.GetValue(data.Data) is not null)
            throw new UsageException("--pipeline makes the calibration data by running the model's sampling loop; leave out --data.");
        if (parse.GetValue(data.Labels) is not null)
            throw new UsageException("--labels applies to --data; --pipeline makes its own samples.");
        var sampler = Sampler(parse, parse.GetValue(data.Seed), batchSize);
        DiffusionInputs.Resolve(ModelInputs.Of(model), modelPath);
        return _ => new DiffusionCalibrationSource(model, sampler, samples);
    }

    /// <summary>The evaluation the options describe for <c>eval --pipeline</c> (checked; the files named must exist).</summary>
    public DiffusionEvaluationOptions Evaluation(ParseResult parse, DataArguments data, RuntimeOptions runtime)
    {
        if (parse.GetValue(data.Data) is not null)
            throw new UsageException("--pipeline generates the samples it scores; leave out --data (give the real images as --fd-data).");
        string fdModel = parse.GetValue(FdModel) ?? throw new UsageException("--pipeline needs --fd-model CLASSIFIER.onnx: its penultimate features are what the Fréchet distance compares.");
        string fdData = parse.GetValue(FdData) ?? throw new UsageException("--pipeline needs --fd-data PATH: the real images the generated ones are compared with.");
        if (!File.Exists(fdModel)) throw new UsageException($"--fd-model {fdModel}: no such file.");
        DataArguments.CheckSpec(fdData, "--fd-data");
        DataSourceFactory.CheckPaths(fdData, null);
        if (parse.GetValue(FdSamples) is long m && m < 2) throw new UsageException($"--fd-samples must be at least 2, not {m}.");
        var options = new DiffusionEvaluationOptions
        {
            Sampler = Sampler(parse, parse.GetValue(data.Seed), 64),
            Samples = parse.GetValue(data.Samples) ?? 256,
            FeatureModel = fdModel,
            FeatureData = fdData,
            FeatureDataSamples = parse.GetValue(FdSamples),
            Runtime = runtime,
        };
        options.Validate();
        return options;
    }
}
