using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Methods.Pruning.Importance;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Training;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink prune</c>: structured channel pruning (channels physically removed), unstructured and N:M sparsity.</summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var head = new CompressionArguments("Where to write the pruned model", recipe: true);
        var (report, json, data, evaluate, recipeOut) = (head.Report, head.Json, head.Data, head.Evaluate, head.RecipeOut!);
        var sparsity = new Option<double?>("--sparsity") { Description = "Fraction to remove, in [0, 1): of MACs or parameters (--target) for channel pruning, of weights for unstructured (not used by 2:4 and 4:8, whose pattern fixes the rate)" };
        var target = new Option<string>("--target") { Description = "Channel pruning: what --sparsity is a fraction of: macs (default), params, or latency (ONNX Runtime time of the whole model at --latency-batch with one thread: each channel configuration the schedule reaches is cut out and timed interleaved with the unpruned model)", DefaultValueFactory = _ => "macs" };
        target.AcceptOnlyFromAmong("macs", "params", "latency");
        var speedup = new Option<double?>("--speedup") { Description = "Channel pruning: the ORT speedup to reach at --latency-batch, measured while choosing; short for --target latency --sparsity (1 - 1/SPEEDUP)" };
        var latencyBatch = new Option<int>("--latency-batch") { Description = "With --target latency: the batch size timed", DefaultValueFactory = _ => 64 };
        var granularity = new Option<string>("--granularity") { Description = "channel (default: remove whole channels, a smaller dense model), unstructured, 2:4 or 4:8 (zeros in the weights, along the reduction axis for N:M)", DefaultValueFactory = _ => "channel" };
        granularity.AcceptOnlyFromAmong("channel", "unstructured", "2:4", "4:8");
        var criterion = new Option<string>("--criterion")
        {
            Description = $"Channel importance (default l1): {RegistryChoices.Describe(ChannelImportances.Registry.Entries)}. "
                + $"Unstructured global ranking (default: energy with --data; without, noise-lamp, or magnitude for models with LayerNorm): {RegistryChoices.Describe(SparsityCriteria.Registry.Entries)}",
            DefaultValueFactory = _ => "l1",
        }.Choices(ChannelImportances.Registry.Entries, SparsityCriteria.Registry.Entries);
        var schedule = new Option<string>("--schedule") { Description = "Per-layer rates: global (default: one ranking, with a per-layer floor), uniform, fair (channels: FAIR-Pruner tolerance of difference between class separation and reconstruction, needs --data), pqi (unstructured: rates from each layer's PQ Index) or sensitivity (unstructured, needs --data: each layer pruned alone at a grid of rates, the output's KL measured, rates chosen by an integer program)", DefaultValueFactory = _ => "global" };
        schedule.AcceptOnlyFromAmong("global", "uniform", "pqi", "sensitivity", "fair");
        var fairLabels = new Option<string>("--fair-labels") { Description = "With --schedule fair: the classes of the calibration samples, predicted (default: the unpruned model's arg-max, no labels file) or data (the data's labels, see --labels)", DefaultValueFactory = _ => "predicted" };
        fairLabels.AcceptOnlyFromAmong("predicted", "data");
        var reconstruct = new Option<bool>("--reconstruct") { Description = "Recover accuracy without training: refit the next layers by least squares toward the unpruned model's outputs (needs --data)" };
        var floatTargets = new Option<bool>("--float-targets") { Description = "Unstructured/N:M with --reconstruct: prune each layer toward the unpruned model's output at that layer, correcting the error earlier layers left (default true)", DefaultValueFactory = _ => true };
        var damp = new Option<double>("--damp") { Description = "Unstructured/N:M with --reconstruct: SparseGPT dampening, a fraction of the mean Hessian diagonal", DefaultValueFactory = _ => 0.01 };
        var scope = new Option<string>("--scope") { Description = "Unstructured: global (default: one magnitude ranking over all layers) or layer (the same rate in each)", DefaultValueFactory = _ => "global" };
        scope.AcceptOnlyFromAmong("global", "layer");
        var excludeNodes = new Option<string?>("--exclude-nodes") { Description = "Unstructured/N:M: comma-separated node names to leave dense" };
        var keep = new Option<string?>("--keep") { Description = "Channel pruning: explicit kept channels per group, NODE=COUNT,... keyed by a producing node's name, in heads for an attention group (others are allocated as usual)" };
        var multiple = new Option<int?>("--channel-multiple") { Description = "Channel pruning: keep channel counts multiples of this, halved for groups narrower than twice it (ORT's blocked convolutions are 16 wide on AVX-512, 8 on AVX2); 1 disables", DefaultValueFactory = _ => new ChannelPruningOptions().ChannelMultiple };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "With --data: activations one calibration batch may hold, e.g. 512M or 2G (default: half the available memory, at most 1G); the batch is lowered to fit (channel pruning: its data-driven criteria, greedy selection and --reconstruct; unstructured/N:M: the layer inputs of its calibration)" };
        var finetune = new Option<bool>("--finetune") { Description = "Then fine-tune the pruned model on --data by distillation from the unpruned one (no labels needed; pruned channels stay removed, zeroed weights stay zero); see the training options" };
        var training = new TrainingArguments();
        var command = head.Create("prune", "Prune a model: remove whole channels (a smaller dense model that runs faster) or zero weights, with optional least-squares recovery from calibration data and fine-tuning by distillation.",
            [sparsity, target, speedup, latencyBatch, granularity, criterion, schedule, fairLabels, scope, excludeNodes, reconstruct, floatTargets, damp, keep, multiple, memoryLimit, finetune, .. training.All]);
        // --pipeline: calibration data from a diffusion model's own sampling loop, as quantize takes it.
        var pipeline = new PipelineArguments(evaluation: false);
        pipeline.AddTo(command);
        command.SetAction(parse =>
        {
            pipeline.RefuseWithout(parse);
            if (pipeline.Given(parse) && (parse.GetValue(finetune) || parse.GetValue(recipeOut) is not null))
                throw new UsageException("--pipeline makes calibration data for the pruning itself; leave out --finetune and --recipe-out.");
            using var outputs = head.Begin(parse, out string input, out string outPath);
            var fineTune = FineTuneArguments(parse, finetune, training, head, outputs);
            bool nm = parse.GetValue(granularity) is "2:4" or "4:8";
            bool channel = parse.GetValue(granularity) == "channel";
            double? wantedSpeedup = parse.GetValue(speedup);
            string scheduleName = parse.GetValue(schedule)!;
            bool latencyTarget = wantedSpeedup is not null || parse.GetValue(target) == "latency";
            // Options of one pruning kind or mode, refused elsewhere instead of being ignored.
            OptionScope.Require(parse, channel, "channel pruning", "unstructured and N:M zeros do not make ORT faster on CPU", speedup);
            OptionScope.Require(parse, channel, "channel pruning", "unstructured and N:M --sparsity is a fraction of the weights", target);
            OptionScope.Require(parse, channel, "channel pruning", null, keep, multiple);
            OptionScope.Require(parse, !channel, "unstructured and N:M sparsity", "channel pruning takes --keep NODE=COUNT", excludeNodes);
            OptionScope.Require(parse, !channel, "unstructured and N:M sparsity", null, scope, floatTargets, damp);
            OptionScope.Require(parse, latencyTarget, "--target latency (or --speedup) only", null, latencyBatch);
            OptionScope.Require(parse, scheduleName == "fair", "--schedule fair only", null, fairLabels);
            if (wantedSpeedup is double x)
            {
                if (parse.GetValue(sparsity) is not null || parse.GetResult(target) is { Implicit: false })
                    throw new UsageException("--speedup sets the target and the rate itself (--target latency --sparsity 1 - 1/SPEEDUP); leave out --sparsity and --target.");
                if (!(x >= 1)) throw new UsageException($"--speedup must be at least 1, not {x.ToString(CultureInfo.InvariantCulture)}.");
            }
            double rate = wantedSpeedup is double sx ? 1 - 1 / sx
                : parse.GetValue(sparsity) ?? (nm ? 0.5 : throw new UsageException("--sparsity is required (except for --granularity 2:4 and 4:8, whose pattern fixes the rate, and with --speedup)."));
            if (scheduleName == "fair" && !channel)
                throw new UsageException("--schedule fair sets how many channels each group loses (structured pruning, --granularity channel); unstructured and N:M sparsity take --scope global|layer or --schedule pqi|sensitivity.");
            string? criterionGiven = parse.GetResult(criterion) is { Implicit: false } ? parse.GetValue(criterion) : null;
            if (criterionGiven is not null && channel == SparsityCriteria.Registry.Contains(criterionGiven))
                throw new UsageException(channel
                    ? $"--criterion {criterionGiven} ranks weights for unstructured pruning; channels take {RegistryChoices.OneOf(ChannelImportances.Registry.Names)}."
                    : $"--criterion {criterionGiven} ranks channels; the unstructured global ranking takes {RegistryChoices.OneOf(SparsityCriteria.Registry.Names)}.");
            if (scheduleName == "fair" && criterionGiven is not null)
                throw new UsageException("--schedule fair ranks channels by its own two scores (class separation and reconstruction); leave out --criterion.");
            if (scheduleName is "pqi" or "sensitivity" && channel)
                throw new UsageException($"--schedule {scheduleName} sets per-layer rates of unstructured pruning (--granularity unstructured); channel pruning takes global, uniform or fair.");
            var excluded = new HashSet<string>(CommonOptions.List(parse.GetValue(excludeNodes) ?? "", "--exclude-nodes"), StringComparer.Ordinal);
            var keptChannels = parse.GetValue(keep) is string keptText ? ParseKept(keptText) : null;
            var shapes = CommonOptions.ParseInputShapes(parse.GetValue(data.InputShape) ?? []);
            var sparsityOptions = channel ? null : new SparsityOptions
            {
                Sparsity = rate,
                Granularity = SparsityGranularity.Parse(parse.GetValue(granularity)!),
                Criterion = criterionGiven,
                Scope = (scheduleName is "pqi" or "sensitivity" ? scheduleName : parse.GetValue(scope)) switch
                {
                    "layer" => SparsityScope.Layer,
                    "pqi" => SparsityScope.Pqi,
                    "sensitivity" => SparsityScope.Sensitivity,
                    _ => SparsityScope.Global,
                },
                Reconstruct = parse.GetValue(reconstruct),
                TargetFloatOutputs = parse.GetValue(floatTargets),
                Damp = parse.GetValue(damp),
                Samples = parse.GetValue(data.Samples) ?? 512,
                MemoryLimitBytes = QuantizeCommand.MemoryLimit(parse.GetValue(memoryLimit)),
                ExcludeNodes = excluded,
            };
            var options = channel ? new ChannelPruningOptions
            {
                Sparsity = rate,
                Target = latencyTarget ? PruningTarget.Latency : parse.GetValue(target) == "params" ? PruningTarget.Params : PruningTarget.Macs,
                LatencyBatchSize = parse.GetValue(latencyBatch),
                Criterion = parse.GetValue(criterion)!,
                Schedule = scheduleName switch { "uniform" => PruningSchedule.Uniform, "fair" => PruningSchedule.Fair, _ => PruningSchedule.Global },
                FairLabels = parse.GetValue(fairLabels) == "data" ? ClassLabelSource.Data : ClassLabelSource.Predicted,
                Reconstruct = parse.GetValue(reconstruct),
                Samples = parse.GetValue(data.Samples) ?? 512,
                MemoryLimitBytes = QuantizeCommand.MemoryLimit(parse.GetValue(memoryLimit)),
                ShapeOverrides = shapes,
            } : null;
            if (options is not null && keptChannels is not null)
                options = options with { KeptChannels = keptChannels };
            if (options is not null && parse.GetValue(multiple) is int m)
                options = options with { ChannelMultiple = m };
            sparsityOptions?.Validate();
            options?.Validate();
            var onnx = outputs.LoadModel(input);
            if (fineTune is not null) Shrink.Training.TrainableModelCheck.RefuseKvCache(onnx, "prune --finetune");
            CommonOptions.CheckNodeNames(excluded, onnx, "--exclude-nodes");
            CommonOptions.CheckNodeNames(keptChannels?.Keys ?? Enumerable.Empty<string>(), onnx, "--keep");
            CommonOptions.CheckInputShapes(shapes, onnx, input);
            var open = pipeline.Given(parse)
                ? pipeline.CalibrationData(parse, data, onnx, input, options?.Samples ?? sparsityOptions!.Samples, options?.BatchSize ?? sparsityOptions!.BatchSize)
                : data.OpenIfGiven(parse, input);
            outputs.ProbeData = open;
            if (sparsityOptions is not null)
                return Sparsity(parse, outputs, input, outPath, onnx, open, sparsityOptions, data, evaluate, report, json, recipeOut, head, fineTune);
            var pruning = options!;
            if (pruning.Schedule == PruningSchedule.Fair && open is null)
                throw new UsageException("--schedule fair needs calibration data: --data PATH (the classes are the model's own predictions unless --fair-labels data).");
            if ((pruning.Reconstruct || ChannelImportances.Create(pruning.Criterion).NeedsData) && open is null)
                throw new UsageException($"{(pruning.Reconstruct ? "--reconstruct" : $"--criterion {pruning.Criterion}")} needs calibration data: --data PATH (or --pipeline ddim for a diffusion model).");
            var result = ConsoleOutput.WithProgress("prune", progress => new ChannelPruner(pruning).Prune(onnx, open, progress));
            var tuned = fineTune is null ? null : FinetuneCommand.Train(parse, head, result.Model, onnx, null, open!, fineTune, input);
            if (tuned is not null) result = result with { Model = tuned.Model };
            string staged = outputs.StageModel(result.Model, input, outPath);
            // A decoder whose cache lost heads reads caches of the kept heads: the sample that checks the written model is
            // decoded by the written model itself (random caches sized by --input-shape for the unpruned model would not fit:
            // ONNX Runtime loading it is the check then).
            if (open is not null && result.ResizedCache.Count > 0 && parse.GetValue(data.Data) is string spec)
                outputs.ProbeData = DataArguments.IsRandom(spec) ? null : DataArguments.Opener(spec, data.Bind(parse, input) with { Note = null }, staged);
            long outBytes = OutputTransaction.StagedSize(staged), inBytes = onnx.SizeOnDisk ?? 0;
            string recipe = RecipeOut.Text(parse, data, input, outPath, "prune", pruning, report, json);
            RecipeOut.Stage(parse, recipeOut, outputs, recipe);
            ResultOutput.Emit(parse, outputs, json, report, WithFineTune(ChannelPruningReport.Sections(result, inBytes, outBytes, maxRows: 16), tuned, fineTune), outPath,
                JsonWithFineTune(ChannelPruneJson.From(result, input, outPath, outBytes, inBytes), tuned, fineTune),
                () => ChannelPruningReport.ToMarkdown(result, input, outPath, inBytes, outBytes) + FineTuneMarkdown(tuned, fineTune), evaluate.Run(parse, data, input, staged),
                () => WithFineTune(ChannelPruningReport.Build(result, input, outPath, inBytes, outBytes) with { Recipe = recipe }, tuned, fineTune));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Dictionary<string, int> ParseKept(string text)
    {
        var kept = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in CommonOptions.List(text, "--keep"))
        {
            int eq = part.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(part[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count <= 0)
                throw new UsageException($"--keep takes NODE=COUNT pairs with a positive count, not '{part}'.");
            if (!kept.TryAdd(part[..eq], count)) throw new UsageException($"--keep names '{part[..eq]}' twice.");
        }
        return kept.Count > 0 ? kept : throw new UsageException("--keep needs at least one NODE=COUNT pair.");
    }

    // Unstructured and N:M: zeros in the weights, the model keeps its shapes.
    private static int Sparsity(ParseResult parse, OutputTransaction outputs, string input, string outPath, OnnxModel onnx, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? open,
        SparsityOptions options, DataArguments data, EvaluationArguments evaluate, Option<string?> report, Option<string?> json, Option<string?> recipeOut,
        CompressionArguments head, FineTuneOptions? fineTune)
    {
        if (options.Reconstruct && open is null) throw new UsageException("--reconstruct needs calibration data: --data PATH.");
        var result = ConsoleOutput.WithProgress("prune", progress => new SparsityPruner(options).Prune(onnx, open, progress));
        FineTuneResult? tuned = null;
        if (fineTune is not null)
        {
            // Zeroed weights stay zero: the sparsity pattern is what was asked for.
            var parameters = FineTuning.TrainableParameters(result.Model);
            var hints = parameters.ToDictionary(p => p, _ => new ParameterHint { KeepZeros = true }, StringComparer.Ordinal);
            tuned = FinetuneCommand.Train(parse, head, result.Model, onnx, parameters, open!, fineTune with { Hints = hints }, input);
        }
        string staged = outputs.StageModel(tuned?.Model ?? result.Model, input, outPath);
        string recipe = RecipeOut.Text(parse, data, input, outPath, "sparsity", options, report, json);
        RecipeOut.Stage(parse, recipeOut, outputs, recipe);
        ResultOutput.Emit(parse, outputs, json, report, WithFineTune(SparsityReport.Sections(result, maxLayers: 16), tuned, fineTune), outPath,
            JsonWithFineTune(SparsityJson.From(result, options, input, outPath), tuned, fineTune), () => SparsityReport.ToMarkdown(result, input, outPath) + FineTuneMarkdown(tuned, fineTune), evaluate.Run(parse, data, input, staged),
            () => WithFineTune(SparsityReport.Build(result, input, outPath) with { Recipe = recipe }, tuned, fineTune));
        return ExitCodes.Ok;
    }

    /// <summary>Checks --finetune and the training options (they apply only with it; it needs --data) before any work.</summary>
    private static FineTuneOptions? FineTuneArguments(ParseResult parse, Option<bool> finetune, TrainingArguments training, CompressionArguments head, OutputTransaction outputs)
    {
        if (!parse.GetValue(finetune))
        {
            OptionScope.Require(parse, false, "--finetune", "add --finetune or leave it out", training.All);
            return null;
        }
        if (parse.GetValue(head.Data.Data) is null)
            throw new UsageException("--finetune needs training data: --data PATH (distillation from the unpruned model needs no labels).");
        var options = training.Bind(parse);
        if (options.CheckpointPath is string checkpoint) outputs.AddOutput("--checkpoint", checkpoint);
        if (options.StopAtMetric is not null && parse.GetValue(head.Evaluate.Data) is null)
            throw new UsageException("--stop-at needs labelled --eval-data (the accuracy it stops on).");
        return options;
    }

    private static IEnumerable<ReportSection> WithFineTune(IEnumerable<ReportSection> sections, FineTuneResult? tuned, FineTuneOptions? options) =>
        tuned is null ? sections : sections.Append(FineTuneReport.Section(tuned, options!, "Fine-tuning after pruning"));

    private static Report WithFineTune(Report report, FineTuneResult? tuned, FineTuneOptions? options) =>
        tuned is null ? report : report with { Sections = [.. report.Sections, FineTuneReport.Section(tuned, options!, "Fine-tuning after pruning")], Charts = [.. report.Charts, FineTuneReport.LossChart(tuned)] };

    private static object JsonWithFineTune<T>(T payload, FineTuneResult? tuned, FineTuneOptions? options)
    {
        if (tuned is null) return payload!;
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(payload))!.AsObject();
        node["fine_tune"] = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(FineTuneJson.From(tuned, options!)));
        return node;
    }

    private static string FineTuneMarkdown(FineTuneResult? tuned, FineTuneOptions? options) =>
        tuned is null ? "" : ReportSection.SectionsToMarkdown([FineTuneReport.Section(tuned, options!, "Fine-tuning after pruning")]);
}
