using System.CommandLine;
using Shrink.Cli.Json;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink quantize --mixed</c>: a bit width per layer chosen by an integer program under a size or BOPs budget, then weight-only quantization.</summary>
internal sealed class MixedQuantizeAction
{
    public Option<bool> Mixed { get; } = new("--mixed") { Description = "Mixed precision: choose each layer's width from --bits by sensitivity under a budget (--size-ratio, --size-bytes, --bops-ratio)" };
    public Option<double?> SizeRatio { get; } = new("--size-ratio") { Description = "With --mixed: model size as a fraction of the float model's" };
    public Option<long?> SizeBytes { get; } = new("--size-bytes") { Description = "With --mixed: model size in bytes" };
    public Option<double?> BopsRatio { get; } = new("--bops-ratio") { Description = "With --mixed: bit operations (MACs × weight bits × 32) as a fraction of the float model's" };
    public Option<double?> LatencyMs { get; } = new("--latency-ms") { Description = "With --mixed: a latency budget in ms, from a per-layer ONNX Runtime latency table measured here (one thread, --latency-batch)" };

    public Option<int> LatencyBatch { get; } = new("--latency-batch") { Description = "With --latency-ms: the batch size the latency table is measured at", DefaultValueFactory = _ => 1 };
    public Option<string> Accounting { get; } = new("--size-accounting") { Description = "With --mixed: stored (bytes as written: 3-bit codes in 4-bit containers) or nominal (b bits per weight + scales)", DefaultValueFactory = _ => "stored" };
    public SensitivityArguments Sensitivity { get; } = new();

    public MixedQuantizeAction() => Accounting.AcceptOnlyFromAmong("stored", "nominal");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Mixed, SizeRatio, SizeBytes, BopsRatio, LatencyMs, LatencyBatch, Accounting }) command.Add(o);
        Sensitivity.AddTo(command);
    }

    public static MixedPrecisionBudget? Budget(ParseResult parse, MixedQuantizeAction a, bool required)
    {
        var given = new List<MixedPrecisionBudget>();
        if (parse.GetValue(a.LatencyMs) is double ms) given.Add(new(BudgetKind.LatencyMs, ms > 0 ? ms : throw new UsageException("--latency-ms must be positive.")));
        if (parse.GetValue(a.SizeRatio) is double r) given.Add(new(BudgetKind.SizeRatio, r > 0 ? r : throw new UsageException("--size-ratio must be positive.")));
        if (parse.GetValue(a.SizeBytes) is long n) given.Add(new(BudgetKind.SizeBytes, n > 0 ? n : throw new UsageException("--size-bytes must be positive.")));
        if (parse.GetValue(a.BopsRatio) is double q) given.Add(new(BudgetKind.BopsRatio, q > 0 ? q : throw new UsageException("--bops-ratio must be positive.")));
        if (given.Count > 1) throw new UsageException("Give one budget: --size-ratio, --size-bytes, --bops-ratio or --latency-ms.");
        if (given.Count == 0 && required) throw new UsageException("--mixed needs a budget: --size-ratio R, --size-bytes N, --bops-ratio R or --latency-ms T.");
        return given.FirstOrDefault();
    }

    /// <summary>
    /// Plans, quantizes and writes; with <paramref name="qatOptions"/> the planned model is then trained
    /// (<see cref="QatQuantizeAction.RunWeightOnly"/>, each layer at its planned width) and the trained model, of the same
    /// layout and size, is written.
    /// </summary>
    public int Run(ParseResult parse, OutputTransaction outputs, string input, string outPath, WeightOnlyOptions weightOptions, string? method, DataArguments data, Option<string?> report, Option<string?> json,
        Training.FineTuneOptions? qatOptions = null)
    {
        var budget = Budget(parse, this, required: true)!;
        string dataSpec = parse.GetValue(data.Data) ?? throw new UsageException("--mixed needs calibration data to measure sensitivities: --data PATH.");
        if (parse.GetResult(LatencyBatch) is { Implicit: false } && budget.Kind != BudgetKind.LatencyMs) throw new UsageException("--latency-batch applies to --latency-ms.");
        if (parse.GetValue(LatencyBatch) <= 0) throw new UsageException("--latency-batch must be positive.");
        var sensitivityOptions = Sensitivity.Bind(parse, data, weightOptions.GroupSize, weightOptions.ExcludeNodes, weightOptions.ExcludeOps);
        var onnx = outputs.LoadModel(input);
        if (qatOptions is not null) Training.TrainableModelCheck.RefuseKvCache(onnx, "quantize --qat");
        CommonOptions.CheckNodeNames(weightOptions.ExcludeNodes, onnx, "--exclude-nodes");
        data.CheckAgainst(parse, onnx, input);
        var sensitivity = Sensitivity.Measure(parse, input, onnx, sensitivityOptions, data);
        var accounting = parse.GetValue(Accounting) == "nominal" ? SizeAccounting.Nominal : SizeAccounting.Stored;
        var options = weightOptions with { Method = method ?? "rtn", Bits = sensitivity.Bits.Max() };
        var planner = new MixedPrecisionPlanner(onnx, sensitivity, weightOptions.GroupSize, weightOptions.Symmetric, accounting, weightOptions.ExcludeNodes, weightOptions.ExcludeOps, onnx.SizeOnDisk, options);
        var dataOptions = data.Bind(parse, input);
        outputs.ProbeData = DataArguments.Opener(dataSpec, dataOptions, input);
        if (budget.Kind == BudgetKind.BopsRatio)
        {
            using var source = DataSourceFactory.Open(dataSpec, dataOptions, Runtime.ModelInputs.Of(onnx));
            planner.MeasureMacs(source.ReadBatches(1, 1).First());
        }
        if (budget.Kind == BudgetKind.LatencyMs)
        {
            int latencyBatch = parse.GetValue(LatencyBatch) > 0 ? parse.GetValue(LatencyBatch) : throw new UsageException("--latency-batch must be positive.");
            using var source = DataSourceFactory.Open(dataSpec, dataOptions, Runtime.ModelInputs.Of(onnx));
            var sample = source.ReadBatches(latencyBatch, latencyBatch).First();
            planner.Latency = ConsoleOutput.WithProgress("latency", progress =>
                LayerLatencyTable.Measure(onnx, sensitivity.Bits, weightOptions.GroupSize, weightOptions.Symmetric, sample, weightOptions.ExcludeNodes, weightOptions.ExcludeOps, progress));
        }
        WeightOnlyResult? result = null;
        IReadOnlyDictionary<string, int>? resultBits = null;
        WeightOnlyResult QuantizeFor(MixedPrecisionPlan p)
        {
            if (result is not null && ReferenceEquals(resultBits, p.LayerBits)) return result;
            result = ConsoleOutput.WithProgress("quantize", progress =>
                new WeightOnlyQuantizer(options with { LayerBits = p.LayerBits }).Quantize(onnx, DataArguments.Opener(dataSpec, dataOptions, input), progress));
            resultBits = p.LayerBits;
            return result;
        }
        // A size budget is a promise about the file written: each plan's model is written to a trial file and measured.
        string trialFolder = Directory.CreateTempSubdirectory("shrink-size-trial-").FullName;
        long Written(MixedPrecisionPlan p)
        {
            string trial = Path.Combine(trialFolder, Path.GetFileName(outPath));
            try
            {
                QuantizeFor(p).Model.Save(trial);
                return OutputTransaction.StagedSize(trial);
            }
            finally
            {
                File.Delete(trial);
                File.Delete(trial + ".data");
            }
        }
        MixedPrecisionPlan plan;
        try
        {
            plan = planner.PlanWritten(budget, Written);
        }
        finally
        {
            Directory.Delete(trialFolder, recursive: true);
        }
        options = options with { LayerBits = plan.LayerBits };
        var model = QuantizeFor(plan).Model;
        WeightOnlyQatOutcome? qat = null;
        if (qatOptions is not null)
        {
            qat = QatQuantizeAction.RunWeightOnly(onnx, result!, options, DataArguments.Opener(dataSpec, dataOptions, input), qatOptions);
            model = qat.Model;
        }
        long outBytes = OutputTransaction.StagedSize(outputs.StageModel(model, input, outPath)), inBytes = onnx.SizeOnDisk ?? 0;
        if (plan.WrittenBytes is long promised && outBytes > plan.BudgetValue)
            throw new ShrinkException($"{outPath}: wrote {outBytes:N0} bytes, over the {plan.Budget} budget ({plan.BudgetValue:N0} bytes; the trial file had {promised:N0}).");
        if (planner.Latency is { } table)
            ConsoleOutput.Note(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"predicted latency {table.PredictedMs(plan.LayerBits):F3} ms at batch {table.BatchSize} (float {table.ModelMs:F3} ms, fastest reachable {table.FastestMs:F3} ms), one thread"));
        var sections = MixedPrecisionReport.Sections(plan, sensitivity, outBytes).Concat(WeightOnlyReport.Sections(result!, inBytes, outBytes)).ToList();
        var payload = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(MixedQuantizeJson.From(plan, options, planner.Latency, accounting, input, outPath, outBytes, inBytes)))!.AsObject();
        if (qat is not null)
        {
            sections.AddRange(QatQuantizeAction.Sections(qat));
            payload["qat"] = System.Text.Json.Nodes.JsonNode.Parse(JsonOutput.Serialize(QatQuantizeAction.Json(qat)));
        }
        ResultOutput.Emit(parse, outputs, json, report, sections, outPath, payload,
            () => ReportSection.ToMarkdown($"Mixed-precision quantization of `{Path.GetFileName(input)}` → `{Path.GetFileName(outPath)}`", sections));
        return ExitCodes.Ok;
    }
}
