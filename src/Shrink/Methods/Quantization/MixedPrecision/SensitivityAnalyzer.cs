using System.Diagnostics;
using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// Scores every quantizable layer of a model at every bit width (Ω(layer, bits)) on calibration data: the float model's
/// outputs are computed once and cached, then each layer gets one session with its weight as an input, in which the
/// metric evaluates as many perturbed or quantized weights as it needs.
/// </summary>
public sealed class SensitivityAnalyzer(SensitivityOptions options)
{
    /// <summary>Scores <paramref name="model"/> (not modified) on the data <paramref name="openData"/> opens.</summary>
    public SensitivityResult Analyze(OnnxModel model, Func<IReadOnlyList<ModelInputSpec>, IDataSource> openData, IProgress<ProgressInfo>? progress = null)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var metric = SensitivityMetrics.Create(options.Method);
        var prepared = MixedPrecisionLayers.Prepare(model);
        var (layers, skipped) = MixedPrecisionLayers.Select(prepared, options.ExcludeNodes, options.ExcludeOps);
        if (layers.Count == 0) throw new ShrinkException($"{model.Name}: no Conv, Gemm or MatMul with a constant float weight to score.");
        var inputs = ModelInputs.Of(prepared);
        List<DataBatch> batches;
        using (var source = FixedBatchDataSource.ForModel(openData(inputs), inputs))
            batches = source.ReadBatches(options.BatchSize, options.Samples).ToList();
        if (batches.Count == 0) throw new ShrinkException("The calibration data is empty.");
        bool languageModel = options.Task is string task ? task == "lm" : EvaluationTasks.Detect(inputs, prepared.Graph.Outputs).Name == "lm";
        if (languageModel && options.Loss == "ce")
            throw new ShrinkException($"{model.Name}: a language model's sensitivity is the KL divergence from the float model's next-token distributions; cross-entropy against labels (--labels) does not apply.");
        bool labelled = batches.All(b => b.Labels is not null);
        if (options.Loss == "ce" && !labelled) throw new ShrinkException("--loss ce needs labels for the calibration data.");
        bool useLabels = options.Loss is null ? labelled : options.Loss == "ce";

        var reference = new List<float[]>();
        int vocabulary = 0;
        using (var session = ModelSession.Open(prepared, new RuntimeOptions(), model.Name))
        {
            foreach (var batch in batches)
            {
                var first = session.Run(batch)[0];
                if (languageModel && first.Shape.Length != 3)
                    throw new ShrinkException($"{model.Name}: a language model's first output must be logits [batch, seq, vocab]; '{first.Name}' is [{string.Join(",", first.Shape)}].");
                if (languageModel) vocabulary = (int)first.Shape[2];
                reference.Add(first.Data);
            }
        }
        var loss = languageModel ? CalibrationLoss.ForTokens(batches, reference, vocabulary) : CalibrationLoss.Create(batches, reference, useLabels);
        var quantizer = new ReferenceQuantizer(options.GroupSize, options.Symmetric);
        var results = new List<LayerSensitivity>();
        double baseLoss = 0;
        progress?.Report(new ProgressInfo("layers", 0, layers.Count));
        for (int i = 0; i < layers.Count; i++)
        {
            using var session = new WeightInputSession(prepared, layers[i], batches, loss);
            if (i == 0) baseLoss = session.Loss(session.Weight);
            double share = (options.TimeBudgetSeconds - clock.Elapsed.TotalSeconds) / (layers.Count - i);
            results.Add(metric.Measure(session, quantizer, options, i, Math.Max(0, share)));
            progress?.Report(new ProgressInfo("layers", i + 1, layers.Count));
        }
        return new SensitivityResult
        {
            Method = metric.Name,
            Loss = loss.Name,
            Bits = options.Bits.Order().ToArray(),
            Samples = batches.Sum(b => (long)b.Count),
            BaseLoss = baseLoss,
            Layers = results,
            Skipped = skipped,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }
}
