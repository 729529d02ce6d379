using System.CommandLine;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Runtime;
using Shrink.Training;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>shrink finetune</c>: trains a model's float weights on the ONNX graph (gradients by Shrink's ONNX-to-ONNX autodiff,
/// run in ONNX Runtime), by distillation from a teacher model's logits or by cross-entropy with labels.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create()
    {
        var head = new CompressionArguments("Where to write the fine-tuned model", recipe: false);
        var teacher = new Option<string?>("--teacher") { Description = "The model to distill from (e.g. the unpruned or float original): KL divergence from its logits; without it, cross-entropy with the data's labels" };
        var training = new TrainingArguments();
        var command = head.Create("finetune", "Fine-tune a model's float weights on its ONNX graph: distillation from a teacher (no labels needed) or cross-entropy with labels; gradients are ONNX graphs run by ONNX Runtime.",
            [teacher, .. training.All]);
        command.SetAction(parse =>
        {
            using var outputs = head.Begin(parse, out string input, out string outPath);
            var options = training.Bind(parse);
            if (parse.GetValue(head.Data.Data) is null) throw new UsageException("finetune needs training data: --data PATH.");
            string? teacherPath = parse.GetValue(teacher);
            if (teacherPath is not null)
            {
                if (teacherPath.Length == 0) throw new UsageException("--teacher: the path is empty.");
                if (!File.Exists(teacherPath)) throw new UsageException($"--teacher {teacherPath}: no such file.");
                outputs.AddInput("--teacher", teacherPath);
            }
            if (options.CheckpointPath is string checkpoint) outputs.AddOutput("--checkpoint", checkpoint);
            if (options.StopAtMetric is not null && parse.GetValue(head.Evaluate.Data) is null)
                throw new UsageException("--stop-at needs labelled --eval-data (the accuracy it stops on).");
            var student = outputs.LoadModel(input);
            var teacherModel = teacherPath is null ? null : outputs.LoadModel(teacherPath);
            var open = head.Data.OpenIfGiven(parse, input)!;
            outputs.ProbeData = open;
            var result = Train(parse, head, student, teacherModel, null, open, options, input);
            string staged = outputs.StageModel(result.Model, input, outPath);
            var section = FineTuneReport.Section(result, options);
            ResultOutput.Emit(parse, outputs, head.Json, head.Report, [section], outPath, FineTuneJson.From(result, options),
                () => ReportSection.ToMarkdown($"Fine-tuning {Path.GetFileName(input)}", [section]), head.Evaluate.Run(parse, head.Data, input, staged),
                () => new Report($"Fine-tuning {Path.GetFileName(input)}", [section]) { Charts = [FineTuneReport.LossChart(result)] });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Runs <see cref="FineTuning.Run"/> with progress, measuring accuracy on <c>--eval-data</c> after each epoch when it
    /// has labels (the metric <c>--stop-at</c> reads). Shared by <c>finetune</c> and <c>prune --finetune</c>.
    /// </summary>
    public static FineTuneResult Train(ParseResult parse, CompressionArguments head, OnnxModel student, OnnxModel? teacher, IReadOnlyList<string>? parameters,
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> open, FineTuneOptions options, string input)
    {
        var inputs = ModelInputs.Of(student);
        using var data = open(inputs);
        EpochMetric? evaluate = null;
        IDataSource? evalData = null;
        try
        {
            if (parse.GetValue(head.Evaluate.Data) is string spec)
            {
                // Read like the training data (LM windows as next-token windows), with the evaluation labels.
                var dataOptions = head.Data.Bind(parse, input) with { LabelsPath = parse.GetValue(head.Evaluate.Labels) };
                evalData = DataSourceFactory.Open(spec, dataOptions, inputs);
                long? limit = parse.GetValue(head.Evaluate.Samples);
                if (evalData.HasLabels)
                {
                    var held = evalData;
                    evaluate = new EpochMetric("top-1 accuracy", false, model => HeldOutAccuracy.Measure(model, held, threads: options.IntraOpThreads, limit: limit));
                }
                else if (options.StopAtMetric is not null)
                {
                    throw new UsageException($"--stop-at needs labelled --eval-data; {evalData.Description} has no labels.");
                }
                else if (dataOptions.NextTokenWindows)
                {
                    // A language model's windows: perplexity by teacher forcing (input window[:-1], targets window[1:]),
                    // as `eval` measures it, on the first 256 windows unless --eval-samples.
                    var evaluator = new ModelEvaluator(new EvaluationOptions
                    {
                        Task = "lm",
                        LatencyBatchSizes = [],
                        MaxSamples = limit ?? 256,
                        Runtime = new RuntimeOptions { IntraOpThreads = options.IntraOpThreads },
                    });
                    var windowOptions = dataOptions with { NextTokenWindows = false };
                    evaluate = new EpochMetric("perplexity", true, model => HeldOutPerplexity(evaluator, model, spec, windowOptions));
                }
                else if (teacher is not null && options.Distillation == FineTuneOptions.MseDistillation)
                {
                    throw new UsageException($"--eval-data {spec}: without labels the held-out metric is the KL from the teacher's logits, which --distill-loss mse does not train; give labelled --eval-data, or none.");
                }
                else if (teacher is not null)
                {
                    var held = evalData;
                    // The teacher's outputs on the held-out data are kept after the first epoch (up to 256 MiB).
                    var teacherOutputs = new TeacherOutputCache();
                    evaluate = new EpochMetric("distillation loss (KL from the teacher)", true,
                        model => HeldOutDistillation.Measure(model, teacher, held, options.Temperature, threads: options.IntraOpThreads, limit: limit ?? 256, teacherOutputs: teacherOutputs));
                }
            }
            return ConsoleOutput.WithProgress("finetune", progress => FineTuning.Run(student, teacher, parameters, data, options, progress, evaluate));
        }
        finally
        {
            evalData?.Dispose();
        }
    }

    // The perplexity of an in-memory model on LM windows: saved to a temporary file for the evaluator, which reads the
    // windows itself (input window[:-1], targets window[1:]).
    private static double HeldOutPerplexity(ModelEvaluator evaluator, OnnxModel model, string spec, DataOptions windowOptions)
    {
        string folder = Directory.CreateTempSubdirectory("shrink-finetune-eval-").FullName;
        try
        {
            string path = Path.Combine(folder, "epoch.onnx");
            model.Save(path);
            var result = evaluator.Evaluate(path, null, inputs => DataSourceFactory.Open(spec, windowOptions, inputs));
            return result.Metrics.Single(m => m.Name == "perplexity").Value;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
