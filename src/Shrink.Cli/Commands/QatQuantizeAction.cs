using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
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
        Description = "Static: then quantization-aware training: fake-quantized weights and activations with learnable (LSQ) scales, fine-tuned by KL distillation from the float model on all of --data each epoch, written back as the same QDQ model; see the training options (--epochs, --lr, ...)",
    };

    public TrainingArguments Training { get; } = new();

    public void AddTo(Command command)
    {
        command.Add(Qat);
        Training.AddTo(command);
    }

    /// <summary>Checks --qat and the training options before any work; null without --qat.</summary>
    public FineTuneOptions? Check(ParseResult parse, bool plainStatic, string? dataSpec, OutputTransaction outputs)
    {
        if (!parse.GetValue(Qat))
        {
            OptionScope.Require(parse, false, "--qat", "add --qat or leave it out", Training.All);
            return null;
        }
        if (!plainStatic)
            throw new UsageException("--qat trains a static QDQ model; leave out --mode dynamic, --weights, --mixed, --pipeline and --step-groups.");
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
        var result = ptq with { Model = exported, Fusion = FusionInspector.Inspect(exported, quantizedNodes) };
        return new QatOutcome(result, tuned, training, before, after, qat.Quantizers.Count(q => q.IsWeight), qat.Quantizers.Count(q => !q.IsWeight), samples);
    }

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
