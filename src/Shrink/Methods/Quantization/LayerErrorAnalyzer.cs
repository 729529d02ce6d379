using Shrink.Calibration;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Compares a quantized model with its float original tensor by tensor on calibration data: the SQNR at every quantized
/// node's output, how much each node loses itself, and the fidelity of the model outputs. Runs both models without
/// ORT optimizations so every intermediate value is observable.
/// </summary>
public static class LayerErrorAnalyzer
{
    /// <summary>Per-node errors sorted worst first (lowest SQNR), and the output fidelity of the whole model.</summary>
    public static (IReadOnlyList<LayerError> Layers, ExclusionTrial Output) Measure(
        OnnxModel floatModel, OnnxModel quantized, QdqPlan plan, QdqApplication application, IDataSource data, long samples, int batchSize,
        long? memoryBudget = null, Action<ActivationBatchPlan>? planned = null)
    {
        var folded = new Dictionary<Model.Node, string>(ReferenceEqualityComparer.Instance);
        foreach (var f in plan.Folded) folded[f.Producer] = f.Activation.Outputs[0];
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal); // float tensor → quantized-model tensor
        // The inserter pointed quantized nodes at the dequantized copies; map those back to the float names.
        var original = application.DequantizedNames.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var rows = new List<(Model.Node Node, string Output, string? Input)>();
        foreach (var node in plan.Quantized)
        {
            string output = folded.TryGetValue(node, out var foldedOutput) ? foldedOutput : node.Outputs[0];
            string? input = node.Inputs.Count > 0 && original.TryGetValue(node.Inputs[0], out var floatInput) ? floatInput : null;
            pairs[output] = application.DequantizedNames.GetValueOrDefault(output, output);
            if (input is not null) pairs[input] = application.DequantizedNames[input];
            rows.Add((node, output, input));
        }
        string firstOutput = floatModel.Graph.Outputs[0].Name;
        pairs[firstOutput] = firstOutput;
        var accumulators = Compare(floatModel, quantized, pairs, data, samples, batchSize, firstOutput, out var outputFidelity, memoryBudget, planned);

        var layers = rows.Select(r =>
        {
            double sqnr = accumulators[r.Output].SqnrDb;
            double? inSqnr = r.Input is null ? null : accumulators[r.Input].SqnrDb;
            double own = inSqnr is double i && double.IsFinite(i) && double.IsFinite(sqnr) ? i - sqnr : 0;
            return new LayerError(r.Node.DisplayName, r.Node.OpType, r.Output, sqnr, inSqnr, own);
        }).OrderBy(l => l.SqnrDb).ToList();
        return (layers, new ExclusionTrial([], outputFidelity.SqnrDb, outputFidelity.ArgMaxAgreement));
    }

    /// <summary>Output fidelity (first output) of a quantized model against the float model.</summary>
    public static ExclusionTrial MeasureOutput(
        OnnxModel floatModel, OnnxModel quantized, IDataSource data, long samples, int batchSize, IReadOnlyList<string> excluded, long? memoryBudget = null)
    {
        string first = floatModel.Graph.Outputs[0].Name;
        Compare(floatModel, quantized, new Dictionary<string, string> { [first] = first }, data, samples, batchSize, first, out var fidelity, memoryBudget, null);
        return new ExclusionTrial(excluded, fidelity.SqnrDb, fidelity.ArgMaxAgreement);
    }

    private static Dictionary<string, FidelityAccumulator> Compare(
        OnnxModel floatModel, OnnxModel quantized, IReadOnlyDictionary<string, string> pairs, IDataSource data, long samples, int batchSize,
        string firstOutput, out FidelityAccumulator outputFidelity, long? memoryBudget, Action<ActivationBatchPlan>? planned)
    {
        var inputs = new HashSet<string>(floatModel.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        // Graph inputs come from the batch on the float side; on the quantized side their dequantized copy is exposed.
        var request = new FidelityRequest(pairs, inputs, firstOutput);
        StatisticsRunner.Run([new StatisticsTap(floatModel), new StatisticsTap(quantized)], [request], data, new StatisticsRunOptions
        {
            Samples = samples,
            BatchSize = batchSize,
            // Each float activation is held three times per batch: ORT's output, our copy, and the quantized model's output.
            MemoryBudgetBytes = memoryBudget ?? MemoryBudget.DefaultBytes(),
            Copies = 3,
            Planned = planned,
            EmptyDataMessage = $"{data.Description}: empty data set.",
        });
        var accumulators = request.Accumulators;
        outputFidelity = accumulators[firstOutput];
        return accumulators;
    }
}
