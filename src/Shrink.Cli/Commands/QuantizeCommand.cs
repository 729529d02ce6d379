using System.CommandLine;
using Shrink.Calibration;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink quantize</c>: int8 post-training quantization (calibrated static QDQ or dynamic), or weight-only low-bit quantization with <c>--weights</c>.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the quantized model", Required = true };
        var mode = new Option<string>("--mode") { Description = "static (calibrated QDQ, needs --data) or dynamic (MatMul/Gemm weights int8, activations quantized at run time)", DefaultValueFactory = _ => "static" };
        mode.AcceptOnlyFromAmong("static", "dynamic");
        var calibration = new Option<string>("--calibration") { Description = $"Range method (default mse): {RegistryChoices.Describe(CalibrationMethods.Registry.Entries)}", DefaultValueFactory = _ => "mse" }
            .Choices(CalibrationMethods.Registry.Entries);
        var percentile = new Option<double>("--percentile") { Description = "Percentile for --calibration percentile", DefaultValueFactory = _ => 99.99 };
        var activations = new Option<string?>("--activations") { Description = "Static: uint8 (default, fastest on x86), int8, or int6/int4 (6 or 4 bits of levels in uint8 Q/DQ, as --activation-bits: ORT still runs 8-bit kernels). With --weights: float (default) or int8 (MatMulNBits quantizes its inputs at run time)" };
        activations.AcceptOnlyFromAmong("uint8", "int8", "int6", "int4", "float");
        var weights = new Option<string?>("--weights") { Description = "Weight-only quantization: int4, int3, int2 or int8 weights, float activations (MatMul/Gemm → MatMulNBits, Conv → DequantizeLinear)" };
        weights.AcceptOnlyFromAmong("int4", "int3", "int2", "int8");
        var groupSize = new Option<int>("--group-size") { Description = "With --weights: columns per scale along the reduction axis (32, 64, 128...), 0 for one per output channel", DefaultValueFactory = _ => 32 };
        var embeddings = new Option<string>("--embeddings") { Description = "With --weights or --mixed: Gather tables (embeddings) as GatherBlockQuantized in blocks of --group-size: auto (int8, tables of at least 65,536 values), int8 or int4 (every table), or off", DefaultValueFactory = _ => "auto" };
        embeddings.AcceptOnlyFromAmong("auto", "int8", "int4", "off");
        var method = new Option<string?>("--method") { Description = $"The weight rounding. With --weights: default gptq with --data (or --pipeline), rtn without. Static: default rtn; gptq rounds with the Hessians of the calibration data, one scale per output channel: {RegistryChoices.Describe(WeightRoundings.Registry.Entries)}" }
            .Choices(WeightRoundings.Registry.Entries);
        var symmetricWeights = new Option<bool>("--symmetric") { Description = "With --weights: symmetric grid, no zero points stored (the default)" };
        var asymmetric = new Option<bool>("--asymmetric") { Description = "With --weights: a zero point per group (default symmetric, no zero points stored)" };
        var actOrder = new Option<bool>("--act-order") { Description = "GPTQ: quantize columns by decreasing Hessian diagonal (default true; --act-order false to turn off)", DefaultValueFactory = _ => true };
        var damp = new Option<double>("--damp") { Description = "GPTQ dampening, a fraction of the mean Hessian diagonal", DefaultValueFactory = _ => 0.01 };
        var clipSteps = new Option<int?>("--clip-steps") { Description = "Clipping ranges tried per group (1: plain abs-max; default 1 for rtn, 20 for gptq)" };
        var floatTargets = new Option<bool>("--float-targets") { Description = "Sequential GPTQ: round each layer toward the float model's output at that layer, correcting the error earlier layers left (default true)", DefaultValueFactory = _ => true };
        var nonSequential = new Option<bool>("--non-sequential") { Description = "GPTQ: calibrate every layer on the float model in one pass (faster) instead of layer by layer on the quantized model" };
        var weightBits = new Option<int?>("--weight-bits") { Description = "Static: weight bits, 2..8 (default 8); below 8 the weights stay int8 with their DequantizeLinear (ORT runs int8 kernels) and the codes keep to the symmetric N-bit range (e.g. -8..7 for 4), for accuracy studies such as W4A8. Weight-only quantization is --weights" };
        var activationBits = new Option<int>("--activation-bits") { Description = "Static: activation bits, 2..8 (default 8); below 8 the Q/DQ stay 8-bit, each calibrated range maps onto 2^bits of their levels (e.g. uint8 codes 0..63 for 6) and a Clip on the codes clips values beyond the range at that edge, as B-bit hardware would (ORT still runs 8-bit kernels)", DefaultValueFactory = _ => 8 };
        var stepGroups = StepGroupQuantizeAction.CreateOption();
        var symmetric = new Option<bool>("--symmetric-activations") { Description = "Symmetric activation ranges (zero point in the middle)" };
        var packedAttention = new Option<bool>("--packed-attention") { Description = "Int8 (static or dynamic): keep the attention as exported (packed q/k/v projections, the score scale on the scores, a causal mask applied by Where), instead of three projections with the scale folded into the queries and the mask added as a bias (faster in ONNX Runtime)" };
        var pureQdq = new Option<bool>("--pure-qdq") { Description = "Static int8: keep every quantized MatMul in QDQ form (DequantizeLinear → MatMul → Add) for runtimes other than ONNX Runtime, instead of writing those with a bias as com.microsoft.MatMulIntegerToFloat with the bias fused (the kernel ORT would build from the QDQ form, without its separate Add: faster)" };
        var int8Attention = new Option<bool>("--int8-attention") { Description = "Static int8: also quantize MatMuls of two activations (attention Q·Kᵀ and attn·V) to QLinearMatMul; off by default, as they measured slower than float" };
        var perTensor = new Option<bool>("--per-tensor-weights") { Description = "One weight scale per tensor instead of per output channel" };
        var excludeNodes = new Option<string?>("--exclude-nodes") { Description = "Comma-separated node names to leave in float" };
        var excludeOps = new Option<string?>("--exclude-ops") { Description = "Comma-separated op types to leave in float" };
        var report = new Option<string?>("--report") { Description = "Write a Markdown report (per-layer error, fusion check, suggestions)" };
        var json = CommonOptions.Json();
        var recipeOut = RecipeOut.Create();
        var analysis = new Option<int>("--analysis-samples") { Description = "Samples for the per-layer error report (0 skips it)", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--calibration-batch") { Description = $"Batch size while calibrating (at most {StaticQuantizationOptions.MaxBatchSize}; lowered to fit --memory-limit)", DefaultValueFactory = _ => 64 };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Activation memory calibration and the per-layer error may hold at once, e.g. 512M or 2G (default: half the available memory, at most 1G); the batch is lowered, or the tensors observed in several passes, to fit" };
        var data = new DataArguments(dataRequired: false);
        var equivalence = new EquivalenceArguments();
        var pipeline = new PipelineArguments(evaluation: false);
        var command = new Command("quantize", "Quantize to int8 (calibrated static QDQ fused by ONNX Runtime into integer kernels, or dynamic), or weights only to 2-8 bits with --weights (GPTQ or round-to-nearest).")
        {
            model, output, mode, calibration, percentile, activations, symmetric, int8Attention, packedAttention, pureQdq, perTensor, excludeNodes, excludeOps, report, json, analysis, batch, memoryLimit,
            weights, groupSize, embeddings, method, symmetricWeights, asymmetric, actOrder, damp, clipSteps, nonSequential, floatTargets, recipeOut, activationBits, stepGroups,
            weightBits,
        };
        data.AddTo(command);
        equivalence.AddTo(command);
        pipeline.AddTo(command);
        WeightOnlyOptions WeightOptions(ParseResult parse, string weightType)
        {
            var options = new WeightOnlyOptions
            {
                Bits = weightType[3..] switch { "4" => 4, "3" => 3, "2" => 2, _ => 8 },
                GroupSize = parse.GetValue(groupSize),
                EmbeddingBits = parse.GetValue(embeddings) switch { "int8" => 8, "int4" => 4, "off" => 0, _ => null },
                Method = parse.GetValue(method) ?? (parse.GetValue(data.Data) is null && !pipeline.Given(parse) ? "rtn" : "gptq"),
                Symmetric = !parse.GetValue(asymmetric),
                ActOrder = parse.GetValue(actOrder),
                Damp = parse.GetValue(damp),
                ClipSteps = parse.GetValue(clipSteps),
                Sequential = !parse.GetValue(nonSequential),
                TargetFloatOutputs = parse.GetValue(floatTargets),
                Samples = parse.GetValue(data.Samples) ?? 256,
                BatchSize = Batch(parse.GetValue(batch)),
                MemoryLimitBytes = MemoryLimit(parse.GetValue(memoryLimit)),
                ExcludeNodes = List(parse.GetValue(excludeNodes), "--exclude-nodes"),
                ExcludeOps = List(parse.GetValue(excludeOps), "--exclude-ops"),
                Equivalence = equivalence.Bind(parse),
                Export = new WeightExportSettings
                {
                    Int8Activations = parse.GetValue(activations) switch
                    {
                        null or "float" => false,
                        "int8" => true,
                        var other => throw new UsageException($"--activations {other} is for static quantization; weight-only takes float or int8 (MatMulNBits quantizes its inputs at run time)."),
                    },
                },
            };
            options.Validate();
            return options;
        }
        var mixed = new MixedQuantizeAction();
        mixed.AddTo(command);
        var qatAction = new QatQuantizeAction();
        qatAction.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            var extraOutputs = parse.GetValue(mixed.Mixed) ? [(OutputTransaction.CacheRole, (string?)Shrink.Methods.Quantization.MixedPrecision.SensitivityCache.PathFor(input))] : Array.Empty<(string, string?)>();
            using var outputs = OutputTransaction.Begin([("MODEL", input), .. data.InputPaths(parse)],
                [.. OutputTransaction.ModelOutputs(input, outPath), ("--report", parse.GetValue(report)), ("--json", parse.GetValue(json)), ("--recipe-out", parse.GetValue(recipeOut)), .. extraOutputs]);
            pipeline.RefuseWithout(parse);
            int bits = parse.GetValue(activationBits);
            if (parse.GetValue(activations) is "int6" or "int4")
            {
                int named = parse.GetValue(activations) == "int6" ? 6 : 4;
                if (parse.GetResult(activationBits) is { Implicit: false } && bits != named)
                    throw new UsageException($"--activations {parse.GetValue(activations)} sets {named} activation bits; --activation-bits {bits} says otherwise (give one of them).");
                bits = named;
            }
            if (bits is < 2 or > 8) throw new UsageException($"--activation-bits must be in 2..8, not {bits}.");
            if (bits != 8 && (parse.GetValue(mixed.Mixed) || parse.GetValue(weights) is not null || parse.GetValue(mode) != "static"))
                throw new UsageException("--activation-bits applies to static quantization (calibrated activation ranges), as do --activations int6/int4; leave them out with --mixed, --weights or --mode dynamic.");
            StepGroupQuantizeAction.Check(parse, stepGroups, pipeline.Given(parse), parse.GetValue(pipeline.Steps), report, json, recipeOut);
            if (pipeline.Given(parse) && (parse.GetValue(mixed.Mixed) || parse.GetValue(mode) != "static" || parse.GetValue(recipeOut) is not null))
                throw new UsageException("--pipeline calibrates static int8 or weight-only (--weights) quantization; leave out --mixed, --mode dynamic and --recipe-out.");
            if (pipeline.Given(parse) && parse.GetValue(weights) is not null && parse.GetValue(stepGroups) is not null)
                throw new UsageException("--step-groups gives each group of steps its own activation ranges (static int8); weight-only quantization has none: leave out --step-groups with --weights.");
            if (parse.GetValue(mixed.Mixed) && parse.GetValue(weights) is not null) throw new UsageException("--mixed chooses each layer's width from --bits; leave out --weights.");
            CommonOptions.NotNegative(parse.GetValue(analysis), "--analysis-samples");
            if (parse.GetValue(mixed.Mixed) && parse.GetValue(recipeOut) is not null) throw new UsageException("--recipe-out is not available with --mixed (recipes have no mixed-precision step yet).");
            if (equivalence.Given(parse) && (parse.GetValue(mixed.Mixed) || parse.GetValue(mode) != "static" || pipeline.Given(parse) || parse.GetValue(stepGroups) is not null))
                throw new UsageException("--smooth, --rotate, --equalize and --bias-correction apply to static quantization and to --weights; leave them out with --mixed, --mode dynamic, --pipeline and --step-groups.");
            if (parse.GetValue(weightBits) is int wb)
            {
                if (parse.GetValue(weights) is string w) throw new UsageException($"--weight-bits sets the weight grid of static quantization; --weights {w} chooses weight-only quantization with its own bits (give one of them).");
                if (wb is < 2 or > 8) throw new UsageException($"--weight-bits must be in 2..8, not {wb}.");
                if (parse.GetValue(mixed.Mixed) || parse.GetValue(mode) != "static")
                    throw new UsageException("--weight-bits applies to static quantization; leave it out with --mixed and --mode dynamic.");
            }
            if (parse.GetValue(weights) is null && !parse.GetValue(mixed.Mixed) && parse.GetValue(method) is string staticMethod)
            {
                if (parse.GetValue(mode) != "static") throw new UsageException($"--method {staticMethod} picks the weight rounding of static or weight-only quantization; --mode dynamic rounds int8 weights to nearest.");
                if (parse.GetValue(perTensor) && WeightRoundings.Create(staticMethod).NeedsHessian)
                    throw new UsageException($"--method {staticMethod} rounds with one scale per output channel; leave out --per-tensor-weights.");
            }
            string? qatConflict = parse.GetValue(mode) != "static" ? $"--mode {parse.GetValue(mode)}"
                : pipeline.Given(parse) ? "--pipeline" : parse.GetValue(stepGroups) is not null ? "--step-groups" : null;
            var qatOptions = qatAction.Check(parse, qatConflict, parse.GetValue(data.Data), outputs);
            // Weight-only QAT (--weights or --mixed) trains the weights with float activations.
            if (qatOptions is not null && (parse.GetValue(weights) is not null || parse.GetValue(mixed.Mixed)))
            {
                if (parse.GetValue(activations) == "int8")
                    throw new UsageException("--qat trains weight-only layers with float activations; --activations int8 (MatMulNBits quantizing its inputs at run time) cannot be trained: leave it out.");
                if (qatOptions.Distillation == Shrink.Training.FineTuneOptions.MseDistillation)
                    throw new UsageException("--distill-loss mse: weight-only --qat keeps the epoch with the best KL from the float model's outputs on a held-out tail, which mean squared error does not train; leave it out.");
            }
            if (qatOptions is not null && parse.GetValue(recipeOut) is not null) throw new UsageException("--recipe-out is not available with --qat (recipes have no quantization-aware training step yet).");
            if (parse.GetValue(mixed.Mixed) && parse.GetValue(packedAttention)) throw new UsageException("--packed-attention applies to int8 quantization (static or dynamic); leave it out with --mixed.");
            if (parse.GetValue(pureQdq) && (parse.GetValue(mixed.Mixed) || parse.GetValue(weights) is not null || parse.GetValue(mode) == "dynamic"))
                throw new UsageException("--pure-qdq applies to static int8 quantization (its QDQ MatMuls); leave it out with --mixed, --weights or --mode dynamic.");
            if (parse.GetValue(mixed.Mixed)) return mixed.Run(parse, outputs, input, outPath, WeightOptions(parse, "int8"), parse.GetValue(method), data, report, json, qatOptions);
            if (parse.GetValue(weights) is string weightType)
            {
                if (parse.GetValue(symmetricWeights) && parse.GetValue(asymmetric)) throw new UsageException("--symmetric and --asymmetric exclude each other.");
                var weightOptions = WeightOptions(parse, weightType);
                if (parse.GetValue(mode) != "static") throw new UsageException("--mode applies to int8 activation quantization; leave it out with --weights.");
                if (parse.GetValue(int8Attention)) throw new UsageException("--int8-attention applies to static int8 quantization; leave it out with --weights.");
                if (parse.GetValue(packedAttention)) throw new UsageException("--packed-attention applies to int8 quantization (static or dynamic); leave it out with --weights.");
                return WeightOnly(parse, outputs, input, outPath, weightOptions, data, pipeline, report, json, recipeOut, qatOptions);
            }
            double pct = parse.GetValue(percentile);
            if (!(pct > 0 && pct <= 100)) throw new UsageException($"--percentile must be in (0, 100], not {pct.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            if (parse.GetResult(percentile) is { Implicit: false } && parse.GetValue(calibration) != "percentile")
                throw new UsageException("--percentile applies to --calibration percentile.");
            if (parse.GetResult(embeddings) is { Implicit: false }) throw new UsageException("--embeddings applies to weight-only quantization (--weights or --mixed).");
            if (parse.GetValue(activations) == "float") throw new UsageException("--activations float needs --weights (weight-only quantization).");
            if (parse.GetValue(int8Attention) && parse.GetValue(mode) == "dynamic") throw new UsageException("--int8-attention applies to --mode static (dynamic quantization leaves attention MatMuls in float).");
            var options = new StaticQuantizationOptions
            {
                ActivationType = parse.GetValue(activations) == "int8" ? ElementType.Int8 : ElementType.UInt8,
                Equivalence = equivalence.Bind(parse),
                SymmetricActivations = parse.GetValue(symmetric),
                ActivationBits = bits,
                WeightBits = parse.GetValue(weightBits) ?? 8,
                WeightRounding = parse.GetValue(method) ?? "rtn",
                PerChannelWeights = !parse.GetValue(perTensor),
                QuantizeAttentionMatMuls = parse.GetValue(int8Attention),
                SplitAttention = !parse.GetValue(packedAttention),
                FuseMatMulBias = !parse.GetValue(pureQdq),
                Calibration = parse.GetValue(calibration)!,
                CalibrationSettings = new CalibrationSettings { Percentile = parse.GetValue(percentile) },
                Samples = parse.GetValue(data.Samples) ?? 512,
                BatchSize = Batch(parse.GetValue(batch)),
                MemoryLimitBytes = MemoryLimit(parse.GetValue(memoryLimit)),
                ExcludeNodes = List(parse.GetValue(excludeNodes), "--exclude-nodes"),
                ExcludeOps = List(parse.GetValue(excludeOps), "--exclude-ops"),
                AnalysisSamples = Math.Max(0, parse.GetValue(analysis)),
            };
            var onnx = outputs.LoadModel(input);
            if (qatOptions is not null) Training.TrainableModelCheck.RefuseKvCache(onnx, "quantize --qat");
            CommonOptions.CheckNodeNames(options.ExcludeNodes, onnx, "--exclude-nodes");
            data.CheckAgainst(parse, onnx, input);
            QuantizationResult result;
            QatOutcome? qat = null;
            if (parse.GetValue(mode) == "dynamic")
            {
                result = new DynamicQuantizer(options).Quantize(onnx);
            }
            else if (parse.GetValue(stepGroups) is int groupCount)
            {
                return StepGroupQuantizeAction.Run(parse, outputs, pipeline, data, onnx, input, outPath, groupCount, options);
            }
            else if (pipeline.Given(parse))
            {
                var open = pipeline.CalibrationData(parse, data, onnx, input, options.Samples, options.BatchSize);
                outputs.ProbeData = open;
                result = ConsoleOutput.WithProgress("quantize", progress => new StaticQuantizer(options).Quantize(onnx, open, progress));
            }
            else
            {
                string dataSpec = parse.GetValue(data.Data) ?? throw new UsageException("static quantization needs calibration data: --data PATH (or use --mode dynamic).");
                var dataOptions = data.Bind(parse, input);
                var open = DataArguments.Opener(dataSpec, dataOptions, input);
                outputs.ProbeData = open;
                // QAT trains the QDQ form; the bias is fused into the MatMuls after its export.
                var ptqOptions = qatOptions is null ? options : options with { FuseMatMulBias = false };
                result = ConsoleOutput.WithProgress("quantize", progress => new StaticQuantizer(ptqOptions).Quantize(onnx, open, progress));
                if (qatOptions is not null)
                {
                    qat = QatQuantizeAction.Run(onnx, result, options, open, qatOptions);
                    result = qat.Result;
                }
            }
            long outBytes = OutputTransaction.StagedSize(outputs.StageModel(result.Model, input, outPath)), inBytes = onnx.SizeOnDisk ?? 0;
            string recipe = RecipeOut.Text(parse, data, input, outPath, parse.GetValue(mode) == "dynamic" ? "quantize-dynamic" : "quantize", options, report, json);
            RecipeOut.Stage(parse, recipeOut, outputs, recipe);
            if (qat is not null)
            {
                ResultOutput.Emit(parse, outputs, json, report, QuantizationReport.Sections(result, inBytes, outBytes, maxLayers: 12).Concat(QatQuantizeAction.Sections(qat)), outPath,
                    WithQat(QuantizeJson.From(result, input, outPath, outBytes, inBytes), qat),
                    () => QuantizationReport.ToMarkdown(result, input, outPath, inBytes, outBytes) + ReportSection.SectionsToMarkdown(QatQuantizeAction.Sections(qat)),
                    model: () => WithQat(QuantizationReport.Build(result, input, outPath, inBytes, outBytes), qat) with { Recipe = recipe });
                return ExitCodes.Ok;
            }
            ResultOutput.Emit(parse, outputs, json, report, QuantizationReport.Sections(result, inBytes, outBytes, maxLayers: 12), outPath,
                QuantizeJson.From(result, input, outPath, outBytes, inBytes), () => QuantizationReport.ToMarkdown(result, input, outPath, inBytes, outBytes), model: () => QuantizationReport.Build(result, input, outPath, inBytes, outBytes) with { Recipe = recipe });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int WeightOnly(ParseResult parse, OutputTransaction outputs, string input, string outPath, WeightOnlyOptions options, DataArguments data, PipelineArguments pipeline,
        Option<string?> report, Option<string?> json, Option<string?> recipeOut, Training.FineTuneOptions? qatOptions)
    {
        var onnx = outputs.LoadModel(input);
        if (qatOptions is not null) Training.TrainableModelCheck.RefuseKvCache(onnx, "quantize --qat");
        CommonOptions.CheckNodeNames(options.ExcludeNodes, onnx, "--exclude-nodes");
        data.CheckAgainst(parse, onnx, input);
        // --pipeline: GPTQ's layer inputs come from the float model's own sampling loop (x_t at every step), as static
        // int8's ranges do.
        var open = pipeline.Given(parse) ? pipeline.CalibrationData(parse, data, onnx, input, options.Samples, options.BatchSize) : data.OpenIfGiven(parse, input);
        outputs.ProbeData = open;
        var result = ConsoleOutput.WithProgress("quantize", progress => new WeightOnlyQuantizer(options).Quantize(onnx, open, progress));
        if (qatOptions is not null)
        {
            var qat = QatQuantizeAction.RunWeightOnly(onnx, result, options, open!, qatOptions);
            long qatBytes = OutputTransaction.StagedSize(outputs.StageModel(qat.Model, input, outPath)), qatInBytes = onnx.SizeOnDisk ?? 0;
            var sections = WeightOnlyReport.Sections(result, qatInBytes, qatBytes, maxLayers: 16).Concat(QatQuantizeAction.Sections(qat));
            var payload = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(WeightOnlyJson.From(result, options, input, outPath, qatBytes, qatInBytes)))!.AsObject();
            payload["qat"] = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(QatQuantizeAction.Json(qat)));
            ResultOutput.Emit(parse, outputs, json, report, sections, outPath, payload,
                () => WeightOnlyReport.ToMarkdown(result, input, outPath, qatInBytes, qatBytes) + ReportSection.SectionsToMarkdown(QatQuantizeAction.Sections(qat)),
                model: () =>
                {
                    var built = WeightOnlyReport.Build(result, input, outPath, qatInBytes, qatBytes);
                    return built with { Sections = [.. built.Sections, .. QatQuantizeAction.Sections(qat)], Charts = [.. built.Charts, FineTuneReport.LossChart(qat.Tuned)] };
                });
            return ExitCodes.Ok;
        }
        long outBytes = OutputTransaction.StagedSize(outputs.StageModel(result.Model, input, outPath)), inBytes = onnx.SizeOnDisk ?? 0;
        string recipe = RecipeOut.Text(parse, data, input, outPath, "weight-only", options, report, json);
        RecipeOut.Stage(parse, recipeOut, outputs, recipe);
        ResultOutput.Emit(parse, outputs, json, report, WeightOnlyReport.Sections(result, inBytes, outBytes, maxLayers: 16), outPath,
            WeightOnlyJson.From(result, options, input, outPath, outBytes, inBytes), () => WeightOnlyReport.ToMarkdown(result, input, outPath, inBytes, outBytes), model: () => WeightOnlyReport.Build(result, input, outPath, inBytes, outBytes) with { Recipe = recipe });
        return ExitCodes.Ok;
    }

    private static Report WithQat(Report report, QatOutcome qat) =>
        report with { Sections = [.. report.Sections, .. QatQuantizeAction.Sections(qat)], Charts = [.. report.Charts, FineTuneReport.LossChart(qat.Tuned)] };

    private static System.Text.Json.Nodes.JsonObject WithQat(QuantizeJson payload, QatOutcome qat)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(payload))!.AsObject();
        node["qat"] = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(QatQuantizeAction.Json(qat)));
        return node;
    }

    private static HashSet<string> List(string? text, string option) =>
        new(CommonOptions.List(text ?? "", option), StringComparer.Ordinal);

    private static int Batch(int value) => value switch
    {
        <= 0 => throw new UsageException("--calibration-batch must be positive."),
        > StaticQuantizationOptions.MaxBatchSize => throw new UsageException($"--calibration-batch {value} is over the limit of {StaticQuantizationOptions.MaxBatchSize}; the batch is lowered to fit --memory-limit anyway."),
        _ => value,
    };

    /// <summary>Parses --memory-limit (null: the default budget).</summary>
    internal static long? MemoryLimit(string? text)
    {
        if (text is null) return null;
        long bytes = MemoryBudget.Parse(text) ?? throw new UsageException($"--memory-limit: '{text}' is not a size such as 512M or 2G.");
        return bytes >= MemoryBudget.MinimumBytes ? bytes : throw new UsageException($"--memory-limit {text} is under the minimum of {MemoryBudget.Format(MemoryBudget.MinimumBytes)}.");
    }
}
