using System.Diagnostics;
using Shrink.Evaluation;
using Shrink.Runtime;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// Scores noise predictors by their samples: each model runs <see cref="DiffusionSampler"/> from the same seeded noise,
/// and the Fréchet distance between the features (<see cref="ClassifierFeatures"/>) of its images and of real images is
/// its score (FID's recipe with a classifier the user names). Every model and the data are opened and checked before
/// the first sample is drawn.
/// </summary>
public sealed class DiffusionEvaluator(DiffusionEvaluationOptions options)
{
    /// <summary>Scores <paramref name="modelPath"/> and, when given, <paramref name="referencePath"/>.</summary>
    /// <exception cref="ShrinkException">A model, the classifier or the data is unusable; the message names it.</exception>
    public DiffusionEvaluationResult Evaluate(string modelPath, string? referencePath, IProgress<ProgressInfo>? progress = null)
    {
        options.Validate();
        var paths = referencePath is null ? new[] { (modelPath, "model") } : [(modelPath, "model"), (referencePath, "reference")];
        var sessions = new List<ModelSession>();
        try
        {
            var samplers = new List<DiffusionSampler>();
            foreach (var (path, _) in paths)
            {
                if (DiffusionStepModels.IsManifest(path))
                {
                    // Time-step-aware models: one per group of steps, switched by t.
                    var manifest = DiffusionStepModels.Read(path);
                    var models = new List<DiffusionTimestepModel>();
                    foreach (var group in manifest.Groups)
                    {
                        var groupSession = ModelSession.Open(group.Model, options.Runtime);
                        sessions.Add(groupSession);
                        models.Add(new DiffusionTimestepModel(groupSession, group.MinT));
                    }
                    samplers.Add(new DiffusionSampler(models, options.Sampler));
                    continue;
                }
                var session = ModelSession.Open(path, options.Runtime);
                sessions.Add(session);
                samplers.Add(new DiffusionSampler(session, options.Sampler));
            }
            using var features = ClassifierFeatures.Open(options.FeatureModel, options.Runtime);
            var clock = Stopwatch.StartNew();
            var real = features.Measure(options.FeatureData, options.FeatureDataSamples, options.FeatureBatchSize, progress);
            double realSeconds = clock.Elapsed.TotalSeconds;
            var scores = new List<DiffusionModelScore>();
            for (int k = 0; k < samplers.Count; k++)
            {
                var sampler = samplers[k];
                FeatureMoments? generated = null;
                double sampleSeconds = 0;
                long done = 0;
                string stage = $"sampling {paths[k].Item2}";
                progress?.Report(new ProgressInfo(stage, 0, options.Samples));
                using var batches = sampler.Generate(options.Samples).GetEnumerator();
                while (true)
                {
                    clock.Restart();
                    if (!batches.MoveNext()) break;
                    sampleSeconds += clock.Elapsed.TotalSeconds;
                    int n = batches.Current.Length / sampler.Inputs.SampleElements;
                    features.AddGenerated(batches.Current, n, sampler.Inputs.SampleShape, ref generated);
                    done += n;
                    progress?.Report(new ProgressInfo(stage, done, options.Samples));
                }
                scores.Add(new DiffusionModelScore(paths[k].Item1, paths[k].Item2, FrechetDistance.Compute(generated!, real), sampleSeconds, sampler.ModelCalls));
            }
            return new DiffusionEvaluationResult
            {
                Pipeline = options.Sampler.Name,
                Steps = options.Sampler.Steps,
                Timesteps = samplers[0].Timesteps,
                Seed = options.Sampler.Seed,
                Samples = options.Samples,
                FeatureModel = options.FeatureModel,
                FeatureTensor = features.Tensor,
                FeatureDimension = real.Dimension,
                FeatureData = options.FeatureData,
                RealImages = real.Count,
                RealFeatureSeconds = realSeconds,
                Models = scores,
            };
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
