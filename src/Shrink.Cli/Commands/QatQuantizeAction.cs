using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Runtime;
using Shrink.Training;
using Shrink.Training.Quantization;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>quantize --qat</c>: after static quantization, rewrite the QDQ model for quantization-aware training
/// (<see cref="QatRewriter"/>), fine-tune it by KL distillation from the float model on all of <c>--data</c> each epoch
/// (<see cref="FineTuning"/>, the shared training options), export it back to the same QDQ structure, and report the
/// output fidelity of PTQ and QAT side by side.
/// </summary>
internal sealed class QatQuantizeAction
{
    public Option<bool> Qat { get; } = new("--qat")
    {
        Description = "Then quantization-aware training, fine-tuned by KL distillation from the float model on --data (no labels needed). Static: fake-quantized weights and activations with learnable (LSQ) scales on all of --data each epoch, written back as the same QDQ model. With --weights or --mixed: fake-quantized weights (MatMulNBits blocks, DequantizeLinear channels or blocks, GatherBlockQuantized embedding rows in blocks; each layer at its own width under --mixed) with learnable scales, trained on --data less its last eighth (at most 256 samples), on which each epoch's exported model is measured and the best kept (PTQ when none improves), written back as the same weight-only model; see the training options (--epochs, --lr, ...)",
    };

    public TrainingArguments Training { get; } = new();

    public void AddTo(Command command)
    {
        command.Add(Qat);
        Training.AddTo(command);
    }

    /// <summary>
    /// Checks --qat and the training options before any work; null without --qat. <paramref name="conflict"/> names the
    /// given option QAT cannot train with (e.g. <c>--mode dynamic</c>), or is null.
    /// </summary>
    public FineTuneOptions? Check(ParseResult parse, string? conflict, string? dataSpec, OutputTransaction outputs)
    {
        if (!parse.GetValue(Qat))
        {
            OptionScope.Require(parse, false, "--qat", "add --qat or leave it out", Training.All);
            return null;
        }
        if (conflict is not null)
            throw new UsageException($"--qat trains a static QDQ model or a weight-only (--weights, --mixed) one; {conflict} cannot be trained: leave it out (or --qat).");
        if (dataSpec is null)
            throw new UsageException("--qat needs training data: --data PATH (the calibration data; distillation from the float model needs no labels).");
        var options = Training.Bind(parse);
        if (options.StopAtMetric is not null) throw new UsageException("--stop-at needs evaluation data, which quantize does not take; leave it out.");
        if (options.CheckpointPath is string checkpoint) outputs.AddOutput("--checkpoint", checkpoint);
        return options;
    }

    /// <summary>Trains and exports; the result carries the QAT model and its fusion.</summary>
    public static QatOutcome Run(OnnxModel original, QuantizationResult ptq, StaticQuantizationOptions quantization, Func<IReadOnlyList<ModelInputSpec>, IDataSource> open,
        FineTuneOptions options)
    {
        DataBatch? sample;
        using (var probe = open(ModelInputs.Of(original))) sample = probe.ReadBatches(Math.Min(quantization.BatchSize, 8), 8).FirstOrDefault();
        var qat = QatRewriter.Rewrite(ptq.Model, new QatOptions
        {
            WeightBits = quantization.WeightBits,
            ActivationBits = quantization.ActivationBits,
            SymmetricActivations = quantization.SymmetricActivations,
            Sample = sample,
        });
        var training = options with { Hints = qat.Hints, StopGradient = qat.StopGradient };
        FineTuneResult tuned;
        using (var data = open(ModelInputs.Of(qat.Model)))
            tuned = ConsoleOutput.WithProgress("qat", progress => FineTuning.Run(qat.Model, original, qat.Parameters, data, training, progress));
        var exported = qat.Export(tuned.Model);

        long samples = quantization.AnalysisSamples > 0 ? quantization.AnalysisSamples : 128;
        ExclusionTrial Fidelity(OnnxModel model)
        {
            using var data = open(ModelInputs.Of(original));
            return LayerErrorAnalyzer.MeasureOutput(original, model, data, samples, quantization.BatchSize, [], quantization.MemoryLimitBytes);
        }
        var before = Fidelity(ptq.Model);
        var after = Fidelity(exported);
        var quantizedNodes = ptq.Plan?.Quantized.Select(n => n.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        var outputNotes = new List<string>();
        if (quantization.FuseMatMulBias && MatMulBiasFusion.Apply(exported) is int fused and > 0)
            outputNotes.Add(MatMulBiasFusion.Note(fused));
        var result = ptq with { Model = exported, Fusion = FusionInspector.Inspect(exported, quantizedNodes), OutputNotes = [.. ptq.OutputNotes, .. outputNotes] };
        return new QatOutcome(result, tuned, training, before, after, qat.Quantizers.Count(q => q.IsWeight), qat.Quantizers.Count(q => !q.IsWeight), samples);
    }

    /// <summary>
    /// Weight-only (and mixed precision, each layer at its <see cref="WeightOnlyOptions.LayerBits"/> width): rewrites the
    /// PTQ model's MatMulNBits and DequantizeLinear weights for training (<see cref="WeightOnlyQatRewriter"/>), trains
    /// by KL distillation from the float model on <c>--data</c> less its tail (the last eighth, at most 256 samples, when
    /// the data has at least 16), measures the exported model's distillation loss on that tail before training and after
    /// each epoch and keeps the best (the PTQ model when no epoch improves), and compares PTQ and QAT on the tail.
    /// </summary>
    public static WeightOnlyQatOutcome RunWeightOnly(OnnxModel original, WeightOnlyResult ptq, WeightOnlyOptions quantization, Func<IReadOnlyList<ModelInputSpec>, IDataSource> open,
        FineTuneOptions options)
    {
        var qat = WeightOnlyQatRewriter.Rewrite(ptq.Model, new WeightOnlyQatOptions { Bits = quantization.Bits, LayerBits = quantization.LayerBits });
        long? count;
        using (var probe = open(ModelInputs.Of(original))) count = probe.Count;
        long heldOut = count is long n && n >= 16 ? Math.Min(256, n / 8) : 0;
        long trainable = count is long all ? all - heldOut : long.MaxValue;
        var training = options with
        {
            Hints = qat.Hints,
            StopGradient = qat.StopGradient,
            SamplesPerEpoch = Math.Min(options.SamplesPerEpoch ?? trainable, trainable),
        };
        using var evaluationData = heldOut > 0 ? open(ModelInputs.Of(original)) : null;
        using var tail = evaluationData is null ? null : new SkippedDataSource(evaluationData, count!.Value - heldOut);
        EpochMetric? metric = null;
        if (tail is not null)
        {
            var teacherOutputs = new TeacherOutputCache();
            metric = new EpochMetric("held-out distillation loss (KL from the float model, exported model)", true,
                model => HeldOutDistillation.Measure(qat.Export(model), original, tail, options.Temperature, threads: options.IntraOpThreads, limit: heldOut, teacherOutputs: teacherOutputs));
        }
        FineTuneResult tuned;
        using (var data = open(ModelInputs.Of(qat.Model)))
            tuned = ConsoleOutput.WithProgress("qat", progress => FineTuning.Run(qat.Model, original, qat.Parameters, data, training, progress, metric));
        var exported = qat.Export(tuned.Model);

        long samples = tail is not null ? heldOut : quantization.Samples;
        ExclusionTrial Fidelity(OnnxModel model)
        {
            if (tail is not null) return LayerErrorAnalyzer.MeasureOutput(original, model, tail, samples, quantization.BatchSize, [], quantization.MemoryLimitBytes);
            using var data = open(ModelInputs.Of(original));
            return LayerErrorAnalyzer.MeasureOutput(original, model, data, samples, quantization.BatchSize, [], quantization.MemoryLimitBytes);
        }
        return new WeightOnlyQatOutcome(exported, tuned, training, Fidelity(ptq.Model), Fidelity(exported), qat.Layers, qat.DequantizeLayers, qat.EmbeddingTables, qat.FrozenLayers, samples, tail is not null);
    }

    /// <summary>The report sections of a weight-only QAT run: PTQ vs QAT on the held-out tail, then the epoch table.</summary>
    public static IEnumerable<ReportSection> Sections(WeightOnlyQatOutcome qat)
    {
        static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        static string G(double? v) => v is double x ? x.ToString("G4", CultureInfo.InvariantCulture) : "-";
        var table = new MarkdownTable("model", "output SQNR (dB)", "top-1 agreement", "distillation loss");
        table.Add("PTQ (weight-only)", F(qat.Before.OutputSqnrDb), qat.Before.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture), G(qat.Tuned.InitialMetric));
        table.Add("QAT", F(qat.After.OutputSqnrDb), qat.After.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture), G(BestMetric(qat.Tuned)));
        var notes = new List<string>
        {
            qat.HeldOut
                ? string.Create(CultureInfo.InvariantCulture, $"Against the float model on the last {qat.Samples} samples of --data, held out of training; the distillation loss (KL) is each model's on them, and the best epoch's model is written.")
                : string.Create(CultureInfo.InvariantCulture, $"Against the float model on up to {qat.Samples} samples of --data, which QAT also trained on (too few samples, or an unknown count, to hold any out): in-sample figures."),
            string.Create(CultureInfo.InvariantCulture, $"{qat.Layers} MatMulNBits layers, {qat.DequantizeLayers} DequantizeLinear weight layers and {qat.EmbeddingTables} GatherBlockQuantized embedding tables trained (fake quantization per block or channel, straight-through estimator, LSQ scales); the written model keeps the PTQ model's layout, zero points and size."),
        };
        if (qat.FrozenLayers > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{qat.FrozenLayers} weight-only layers inside subgraphs (DequantizeLinear, GatherBlockQuantized) are kept as PTQ wrote them (not trained)."));
        if (qat.Tuned.InitialMetric is double before && BestMetric(qat.Tuned) is double best && !(best < before))
            notes.Add("QAT did not improve on PTQ on the held-out samples: the PTQ model is written.");
        return [new ReportSection("Quantization-aware training (weight-only)", table, notes), FineTuneReport.Section(qat.Tuned, qat.Options, "QAT fine-tuning")];
    }

    /// <summary>The <c>qat</c> node of the weight-only JSON output.</summary>
    public static object Json(WeightOnlyQatOutcome qat) => new WeightOnlyQatJson(qat.Before.OutputSqnrDb, qat.Before.Top1Agreement, qat.After.OutputSqnrDb, qat.After.Top1Agreement,
        qat.Samples, qat.HeldOut, qat.Tuned.InitialMetric, BestMetric(qat.Tuned), qat.Layers, qat.DequantizeLayers, qat.EmbeddingTables, qat.FrozenLayers, FineTuneJson.From(qat.Tuned, qat.Options));

    // The metric of the model the run returned: the best epoch's, or the initial one when none improved.
    private static double? BestMetric(FineTuneResult tuned) =>
        tuned.BestEpoch is int e && e > 0 ? tuned.Epochs.First(x => x.Epoch == e).Metric : tuned.InitialMetric;

    /// <summary>The report sections of a QAT run: PTQ vs QAT fidelity, then the epoch table.</summary>
    public static IEnumerable<ReportSection> Sections(QatOutcome qat)
    {
        static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        var table = new MarkdownTable("model", "output SQNR (dB)", "top-1 agreement");
        table.Add("PTQ (static)", F(qat.Before.OutputSqnrDb), qat.Before.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture));
        table.Add("QAT", F(qat.After.OutputSqnrDb), qat.After.Top1Agreement.ToString("P1", CultureInfo.InvariantCulture));
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"Against the float model on up to {qat.Samples} samples of --data, which QAT also trained on: in-sample figures, not accuracy on held-out data."),
            string.Create(CultureInfo.InvariantCulture, $"{qat.WeightQuantizers} weight and {qat.ActivationQuantizers} activation fake quantizers (straight-through estimator, LSQ scales); the written model keeps the PTQ model's QDQ structure and zero points."),
        };
        return [new ReportSection("Quantization-aware training", table, notes), FineTuneReport.Section(qat.Tuned, qat.Options, "QAT fine-tuning")];
    }

    /// <summary>The <c>qat</c> node of the JSON output.</summary>
    public static object Json(QatOutcome qat) => new QatJson(qat.Before.OutputSqnrDb, qat.Before.Top1Agreement, qat.After.OutputSqnrDb, qat.After.Top1Agreement, qat.Samples,
        qat.WeightQuantizers, qat.ActivationQuantizers, FineTuneJson.From(qat.Tuned, qat.Options));
}
