using System.CommandLine;
using System.Globalization;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Evaluation.Tasks;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;

namespace Shrink.Cli.Commands;

/// <summary>
/// What <c>shrink tune</c> and <c>shrink pareto</c> share: the evaluation set and metric, the rounding and group size of
/// the weight-only trials, and the trials themselves (quantize a bit allocation to a file, evaluate it).
/// </summary>
internal sealed class TrialArguments
{
    public Option<string> EvalData { get; } = new("--eval-data") { Description = "Evaluation samples (labelled for --metric accuracy)", Required = true };
    public Option<long?> EvalSamples { get; } = new("--eval-samples") { Description = "Evaluate on at most this many samples" };
    public Option<string> Metric { get; } = new("--metric")
    {
        Description = "accuracy (needs labels), top1_agreement (with the float model), or a task metric read from the evaluation of --task: "
            + string.Join(", ", TaskMetricCatalog.All.Select(m => $"{m.Name} ({m.Task}{(m.LowerIsBetter ? ", lower is better" : "")})")),
        DefaultValueFactory = _ => "accuracy",
    };
    public Option<string> Method { get; } = new Option<string>("--method") { Description = $"Rounding (default rtn): {RegistryChoices.Describe(WeightRoundings.Registry.Entries)}", DefaultValueFactory = _ => "rtn" }
        .Choices(WeightRoundings.Registry.Entries);
    public Option<int> GroupSize { get; } = new("--group-size") { Description = "Columns per scale (0: per output channel)", DefaultValueFactory = _ => 32 };

    public TrialArguments() => Metric.AcceptOnlyFromAmong(["accuracy", "top1_agreement", .. TaskMetricCatalog.All.Select(m => m.Name)]);

    /// <summary>True when the chosen metric is lower-is-better (perplexity, nll, mse, mae).</summary>
    public bool LowerIsBetter(ParseResult parse) => TaskMetricCatalog.Find(parse.GetValue(Metric)!)?.LowerIsBetter ?? false;

    /// <summary>
    /// The task the trials are evaluated with: --task when given (refused when it does not measure --metric), else the
    /// task of a task metric, else null (accuracy and top1_agreement: detected from the model, as before).
    /// </summary>
    public string? Task(ParseResult parse, DataArguments data)
    {
        string metric = parse.GetValue(Metric)!;
        string? given = parse.GetValue(data.TaskName);
        if (TaskMetricCatalog.Find(metric) is not { } info) return given;
        if (given is not null && given != info.Task)
            throw new UsageException($"--metric {metric} is measured by --task {info.Task}, not --task {given}.");
        return info.Task;
    }

    /// <summary>The group size, refusing a negative one.</summary>
    public int Group(ParseResult parse) => parse.GetValue(GroupSize) >= 0 ? parse.GetValue(GroupSize) : throw new UsageException("--group-size must be 0 or positive.");

    /// <summary>Refuses a --eval-samples that is not positive.</summary>
    public void CheckEvalSamples(ParseResult parse)
    {
        if (parse.GetValue(EvalSamples) is long es && es <= 0) throw new UsageException("--eval-samples must be positive.");
    }

    /// <summary>
    /// Opens the trials of <paramref name="onnx"/>: refuses --metric accuracy without labels, and quantizes with the
    /// calibration data of <paramref name="data"/> at <paramref name="group"/>.
    /// </summary>
    public Trials Open(ParseResult parse, DataArguments data, string input, OnnxModel onnx, int group)
    {
        string evalSpec = parse.GetValue(EvalData)!, metric = parse.GetValue(Metric)!;
        // A text file as --eval-data is read through --tokenizer (and --seq-len, --text-mode, --doc-separator), as --data is.
        var evalOptions = new DataOptions
        {
            Preprocessing = data.Bind(parse, input).Preprocessing,
            FileReader = evalSpec.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
                ? TextArguments.Bind(evalSpec, parse.GetValue(data.Tokenizer), parse.GetValue(data.SeqLen), parse.GetValue(data.TextMode), parse.GetValue(data.DocSeparator))
                : null,
        };
        Func<IReadOnlyList<ModelInputSpec>, IDataSource> openEval = inputs => DataSourceFactory.Open(evalSpec, evalOptions, inputs);
        if (metric == "accuracy")
        {
            using var probe = openEval(Runtime.ModelInputs.Of(onnx));
            if (!probe.HasLabels) throw new UsageException($"--metric accuracy needs labels for {evalSpec} (none found beside it); use --metric top1_agreement to compare with the float model instead.");
        }
        return new Trials(parse, this, data, input, onnx, group, metric, Task(parse, data), openEval);
    }

    /// <summary>
    /// What tune and pareto do before their first trial: load the model (through <paramref name="outputs"/>), check the
    /// data against it, open the trials and measure the per-layer sensitivity.
    /// </summary>
    public (OnnxModel Model, Trials Run, SensitivityResult Sensitivity) Begin(ParseResult parse, DataArguments data, SensitivityArguments sensitivity, OutputTransaction outputs, string input, int group)
    {
        var sensitivityOptions = sensitivity.Bind(parse, data, group, new HashSet<string>(), new HashSet<string>());
        var onnx = outputs.LoadModel(input);
        data.CheckAgainst(parse, onnx, input);
        var run = Open(parse, data, input, onnx, group);
        return (onnx, run, sensitivity.Measure(parse, input, onnx, sensitivityOptions, data));
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { EvalData, EvalSamples, Metric, Method, GroupSize }) command.Add(o);
    }

    /// <summary>Weight-only trials of bit allocations, evaluated by the chosen metric.</summary>
    internal sealed class Trials(ParseResult parse, TrialArguments arguments, DataArguments data, string input, OnnxModel onnx, int group,
        string metric, string? task, Func<IReadOnlyList<ModelInputSpec>, IDataSource> openEval)
    {
        private readonly ModelEvaluator evaluator = new(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = parse.GetValue(arguments.EvalSamples), EvalBatchSize = 250, Task = task });
        private readonly TaskMetricInfo? taskMetric = TaskMetricCatalog.Find(metric);
        private readonly string dataSpec = parse.GetValue(data.Data)!;
        private readonly DataOptions calibration = data.Bind(parse, input);

        /// <summary>The metric's name, as on the command line.</summary>
        public string Metric => metric;

        /// <summary>True when lower values of the metric are better (perplexity).</summary>
        public bool LowerIsBetter => taskMetric?.LowerIsBetter ?? false;

        /// <summary>
        /// The float model's value of the metric (null for top1_agreement and the task metrics that compare with it, whose
        /// float value is 1).
        /// </summary>
        public double? ReferenceAccuracy()
        {
            if (taskMetric is { ComparesWithReference: false }) return Read(evaluator.Evaluate(input, null, openEval), input);
            return metric == "accuracy" ? evaluator.Evaluate(input, null, openEval).Accuracy : null;
        }

        /// <summary>Writes the weight-only model with <paramref name="bits"/> per layer (at most <paramref name="widest"/>) to <paramref name="path"/>.</summary>
        public string Quantize(IReadOnlyDictionary<string, int> bits, int widest, string path)
        {
            var options = new WeightOnlyOptions { Method = parse.GetValue(arguments.Method)!, GroupSize = group, LayerBits = bits, Bits = widest, Samples = parse.GetValue(data.Samples) ?? 256, MeasureLayerErrors = false };
            new WeightOnlyQuantizer(options).Quantize(onnx, DataArguments.Opener(dataSpec, calibration, input)).Model.Save(path);
            return path;
        }

        /// <summary>The metric of the model at <paramref name="path"/>.</summary>
        public double Evaluate(string path)
        {
            bool compares = taskMetric?.ComparesWithReference ?? metric == "top1_agreement";
            var e = evaluator.Evaluate(path, compares ? input : null, openEval);
            if (taskMetric is not null) return Read(e, path);
            return metric == "accuracy" ? e.Accuracy!.Value : e.Top1Agreement!.Value;
        }

        // The task metric from the evaluation, refused when the task did not measure it (e.g. no labels for mse) or
        // measured it in the other direction. An infinite perplexity is a value (over any limit), NaN is not.
        private double Read(EvaluationResult e, string path)
        {
            var m = e.Metrics.FirstOrDefault(m => m.Name == metric)
                ?? throw new ShrinkException($"{path}: --task {e.Task} measured no {metric} on {parse.GetValue(arguments.EvalData)} (it measured: {(e.Metrics.Count == 0 ? "nothing" : string.Join(", ", e.Metrics.Select(m => m.Name)))}).");
            if (m.LowerIsBetter != taskMetric!.LowerIsBetter)
                throw new ShrinkException($"{path}: {metric} came back {(m.LowerIsBetter ? "lower" : "higher")}-is-better from --task {e.Task}; expected the other direction.");
            if (double.IsNaN(m.Value))
                throw new ShrinkException(string.Create(CultureInfo.InvariantCulture, $"{path}: {metric} is {m.Value} on {parse.GetValue(arguments.EvalData)}."));
            return m.Value;
        }
    }
}
